import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EmailMessage, EmailTransport } from '../../core/ports/email-transport.ts';
import type { Clock } from '../../core/ports.ts';
import { systemClock } from '../system-clock.ts';
import { findByKey, outboxFileName, perKeyQueue, writeFileAtomic } from './outbox-files.ts';

export const IDEMPOTENCY_HEADER = 'X-Aios-Idempotency-Key';
const CRLF = '\r\n';
const EXTENSION = '.eml';

export interface EmailOutboxOptions {
  /** Where the .eml files go, e.g. `<dataDir>/outbox/email`. */
  dir: string;
  clock?: Clock;
  /**
   * Default true: a second send with a key finds the first message. False behaves as SES does,
   * every send is a new message, so `email.send` is not idempotent (what tests of the
   * outcome-unknown path need).
   */
  dedupes?: boolean;
}

const isAscii = (value: string) => /^[\x20-\x7e]*$/.test(value);

/** RFC 5322 date, e.g. `Wed, 25 Nov 2026 10:00:00 +0000`. */
const rfc5322Date = (date: Date) => date.toUTCString().replace(/GMT$/, '+0000');

/**
 * A Subject header value: as is when it is printable ASCII and fits a line, otherwise RFC 2047
 * encoded-words (UTF-8, base64), each at most 75 characters, never splitting a character.
 */
export function encodeHeaderValue(value: string, nameLength = 'Subject'.length): string {
  if (isAscii(value) && nameLength + 2 + value.length <= 78) return value;
  const words: string[] = [];
  let chunk = '';
  for (const char of value) {
    // 45 bytes is 60 base64 characters: with `=?UTF-8?B?` and `?=` a word stays within 75.
    if (Buffer.byteLength(chunk + char, 'utf8') > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += char;
  }
  if (chunk) words.push(chunk);
  return words.map((word) => `=?UTF-8?B?${Buffer.from(word, 'utf8').toString('base64')}?=`).join(`${CRLF} `);
}

const addressList = (addresses: readonly string[]) => addresses.join(`,${CRLF} `);

/** A body part: 7bit when it is short-lined ASCII (readable in the file), otherwise base64. */
function bodyPart(content: string, subtype: 'plain' | 'html'): string[] {
  const normalised = content.replace(/\r?\n/g, CRLF);
  const lines = normalised.split(CRLF);
  const sevenBit = lines.every((line) => /^[\x20-\x7e\t]*$/.test(line) && line.length <= 998);
  const encoded = sevenBit
    ? normalised
    : (Buffer.from(content, 'utf8')
        .toString('base64')
        .match(/.{1,76}/g)
        ?.join(CRLF) ?? '');
  return [
    `Content-Type: text/${subtype}; charset=UTF-8`,
    `Content-Transfer-Encoding: ${sevenBit ? '7bit' : 'base64'}`,
    '',
    encoded,
  ];
}

/** The whole message as RFC 5322 text with CRLF line ends; multipart/alternative when there is html. */
export function formatEml(message: EmailMessage, meta: { messageId: string; date: Date }): string {
  const headers = [
    `From: ${message.from}`,
    `To: ${addressList(message.to)}`,
    ...(message.cc && message.cc.length > 0 ? [`Cc: ${addressList(message.cc)}`] : []),
    `Subject: ${encodeHeaderValue(message.subject)}`,
    `Date: ${rfc5322Date(meta.date)}`,
    `Message-ID: <${meta.messageId}>`,
    `${IDEMPOTENCY_HEADER}: ${message.idempotencyKey}`,
    'MIME-Version: 1.0',
  ];
  if (!message.html) return [...headers, ...bodyPart(message.text, 'plain')].join(CRLF) + CRLF;
  const text = bodyPart(message.text, 'plain');
  const html = bodyPart(message.html, 'html');
  const digest = createHash('sha256').update(message.idempotencyKey).digest('hex').slice(0, 24);
  let boundary = `=_aios_${digest}`;
  // A 7bit part could contain the boundary by chance; a base64 one cannot (it has no '_').
  while ([...text, ...html].some((line) => line.includes(boundary))) boundary += '_';
  return (
    [
      ...headers,
      `Content-Type: multipart/alternative; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      ...text,
      `--${boundary}`,
      ...html,
      `--${boundary}--`,
    ].join(CRLF) + CRLF
  );
}

/** The Message-ID header of an .eml file, without its angle brackets. */
export function messageIdOf(eml: string): string | undefined {
  return /^Message-ID: <([^>\r\n]+)>\r?$/im.exec(eml)?.[1];
}

/**
 * The local email transport: each email becomes an .eml file in the outbox, which any mail client
 * opens. It dedupes by idempotency key: a second send with a key finds the first file and
 * returns its Message-ID without writing again, so locally `email.send` is idempotent.
 */
export function createEmailOutbox(options: EmailOutboxOptions): EmailTransport & { readonly dir: string } {
  const clock = options.clock ?? systemClock;
  const serialised = perKeyQueue();
  const dedupes = options.dedupes ?? true;

  async function write(message: EmailMessage, existing: string | undefined, signal?: AbortSignal) {
    const date = clock.now();
    const domain = message.from.slice(message.from.lastIndexOf('@') + 1) || 'localhost';
    // Without dedupe every send is its own message, with its own id and file.
    const unique = dedupes ? '' : `.${randomBytes(4).toString('hex')}`;
    const digest = createHash('sha256')
      .update(message.idempotencyKey + unique)
      .digest('hex')
      .slice(0, 32);
    const messageId = `${digest}@${domain}`;
    await writeFileAtomic(
      existing ?? join(options.dir, outboxFileName(date, message.idempotencyKey + unique, EXTENSION)),
      formatEml(message, { messageId, date }),
      signal,
    );
    return { messageId };
  }

  return {
    dir: options.dir,
    dedupes,
    send(message, sendOptions) {
      if (!dedupes) return write(message, undefined, sendOptions?.signal);
      return serialised(message.idempotencyKey, async () => {
        const existing = await findByKey(options.dir, message.idempotencyKey, EXTENSION);
        if (existing) {
          const messageId = messageIdOf(await readFile(existing, 'utf8'));
          if (messageId) return { messageId };
        }
        return write(message, existing, sendOptions?.signal);
      });
    },
  };
}
