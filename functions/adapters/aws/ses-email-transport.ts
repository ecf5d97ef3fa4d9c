import { SESv2Client, type SESv2ClientConfig, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { PermanentConnectorError, TransientConnectorError } from '../../core/errors.ts';
import type { EmailMessage, EmailTransport } from '../../core/ports/email-transport.ts';

export const IDEMPOTENCY_HEADER = 'X-Aios-Idempotency-Key';
export const IDEMPOTENCY_TAG = 'aios-idempotency-key';

/**
 * The SES v2 client of the gateway, built once per container. One attempt per call: the SDK's
 * own retries could send an email twice after a 5xx whose send went through; the orchestrator
 * retries instead, with the intent recorded.
 */
export const sesClient = (config: SESv2ClientConfig = {}) => new SESv2Client({ ...config, maxAttempts: 1 });

/** SES message tags allow ASCII letters, digits, '_' and '-', at most 256 of them. */
export const sesTagValue = (value: string) => value.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 256) || '_';

/** Header values must be printable ASCII; the keys aios makes already are. */
const headerValue = (value: string) => value.replace(/[^\x20-\x7e]/g, '_').slice(0, 870);

const TRANSIENT = new Set([
  'TooManyRequestsException',
  'LimitExceededException',
  'ThrottlingException',
  'Throttling',
  'InternalServiceErrorException',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);

interface SdkError {
  name?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
}

/**
 * Throttling, quota and 5xx answers, and failures to reach SES at all, are transient; a rejected
 * message, an unverified identity or a bad request is permanent.
 */
export function sesErrorToConnectorError(error: unknown): TransientConnectorError | PermanentConnectorError {
  const e = (error ?? {}) as SdkError;
  const name = e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  const message = `SES SendEmail failed: ${name}${status ? ` (HTTP ${status})` : ''}: ${e.message ?? String(error)}`;
  // No HTTP status means SES never answered (connection refused, reset, timeout).
  const transient = TRANSIENT.has(name) || status === undefined || status === 429 || status >= 500;
  return transient
    ? new TransientConnectorError(message, { cause: error })
    : new PermanentConnectorError(message, { cause: error });
}

/**
 * Sends through SES v2 (Simple content). SES has no idempotency key, so the transport does not
 * dedupe; the intent's key travels in a header and a message tag so the operator can match a
 * delivered (or bounced) email to its intent.
 */
export function createSesEmailTransport(client: SESv2Client): EmailTransport {
  return {
    dedupes: false,
    async send(message: EmailMessage, options) {
      const charset = 'UTF-8';
      const command = new SendEmailCommand({
        FromEmailAddress: message.from,
        Destination: {
          ToAddresses: [...message.to],
          ...(message.cc && message.cc.length > 0 ? { CcAddresses: [...message.cc] } : {}),
        },
        Content: {
          Simple: {
            Subject: { Data: message.subject, Charset: charset },
            Body: {
              Text: { Data: message.text, Charset: charset },
              ...(message.html ? { Html: { Data: message.html, Charset: charset } } : {}),
            },
            Headers: [{ Name: IDEMPOTENCY_HEADER, Value: headerValue(message.idempotencyKey) }],
          },
        },
        EmailTags: [{ Name: IDEMPOTENCY_TAG, Value: sesTagValue(message.idempotencyKey) }],
      });
      try {
        const output = await client.send(command, { abortSignal: options?.signal });
        return { messageId: output.MessageId ?? 'unknown' };
      } catch (error) {
        throw sesErrorToConnectorError(error);
      }
    },
  };
}

/** The transport a composition root passes where approvals may go out by email (aws-approvals.ts). */
export const sesEmailTransport = (): EmailTransport => createSesEmailTransport(sesClient());
