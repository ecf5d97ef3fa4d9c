import { ReceiptHandleIsInvalidError } from './errors.ts';

/** What a receipt handle points at: one receive of one message. */
export interface ReceiptHandleParts {
  queueName: string;
  /** Sort key of the message item. */
  sk: string;
  /** Random per receive; the message item keeps only the latest one. */
  token: string;
}

const PREFIX = 'aiosq1.';

export function encodeReceiptHandle(parts: ReceiptHandleParts): string {
  const json = JSON.stringify({ q: parts.queueName, k: parts.sk, t: parts.token });
  return PREFIX + Buffer.from(json, 'utf8').toString('base64url');
}

/** Decodes a handle and checks that it belongs to `queueName`; ReceiptHandleIsInvalidError otherwise. */
export function decodeReceiptHandle(queueName: string, handle: string): ReceiptHandleParts {
  const invalid = (why: string) =>
    new ReceiptHandleIsInvalidError(`The receipt handle is not valid for queue "${queueName}": ${why}`);
  if (typeof handle !== 'string' || !handle.startsWith(PREFIX)) throw invalid('unknown format');
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(handle.slice(PREFIX.length), 'base64url').toString('utf8'));
  } catch (error) {
    throw new ReceiptHandleIsInvalidError(
      `The receipt handle is not valid for queue "${queueName}": not decodable`,
      {
        cause: error,
      },
    );
  }
  if (typeof decoded !== 'object' || decoded === null) throw invalid('not decodable');
  const { q, k, t } = decoded as Record<string, unknown>;
  if (typeof q !== 'string' || typeof k !== 'string' || typeof t !== 'string')
    throw invalid('fields missing');
  if (q !== queueName) throw invalid(`it was issued by queue "${q}"`);
  return { queueName: q, sk: k, token: t };
}
