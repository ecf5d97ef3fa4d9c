import { describe, expect, it } from 'vitest';
import { encodeHeaderValue, formatEml, messageIdOf } from '../../../functions/adapters/local/email-outbox.ts';
import type { EmailMessage } from '../../../functions/core/ports/email-transport.ts';

const message: EmailMessage = {
  from: 'aios@localhost',
  to: ['ana@acme.example', 'bo@acme.example'],
  cc: ['cy@acme.example'],
  subject: 'Welcome aboard',
  text: 'Hello Ana,\nwelcome.',
  idempotencyKey: 'aios-0123abcd',
};
const meta = { messageId: 'abc123@localhost', date: new Date('2026-11-25T10:00:00.000Z') };

/** Splits an .eml into unfolded headers (name → value) and the body, as a mail reader does. */
function parseEml(eml: string): { headers: Map<string, string>; body: string } {
  const end = eml.indexOf('\r\n\r\n');
  const unfolded = eml.slice(0, end).replace(/\r\n[ \t]/g, ' ');
  const headers = new Map<string, string>();
  for (const line of unfolded.split('\r\n')) {
    const colon = line.indexOf(':');
    headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body: eml.slice(end + 4) };
}

/** Decodes RFC 2047 B-encoded words (adjacent words separated only by whitespace join up). */
const decodeWords = (value: string) =>
  value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?UTF-8\?B\?([^?]*)\?=/gi, (_m, b64: string) => `\u0000${b64}\u0000`)
    .split('\u0000')
    .map((part, i) => (i % 2 === 1 ? Buffer.from(part, 'base64') : Buffer.from(part, 'utf8')))
    .reduce((all, part) => Buffer.concat([all, part]), Buffer.alloc(0))
    .toString('utf8');

describe('the .eml format', () => {
  it('writes the RFC 5322 headers a mail reader needs, with CRLF line ends', () => {
    const eml = formatEml(message, meta);
    const { headers, body } = parseEml(eml);
    expect(Object.fromEntries(headers)).toEqual({
      from: 'aios@localhost',
      to: 'ana@acme.example, bo@acme.example',
      cc: 'cy@acme.example',
      subject: 'Welcome aboard',
      date: 'Wed, 25 Nov 2026 10:00:00 +0000',
      'message-id': '<abc123@localhost>',
      'x-aios-idempotency-key': 'aios-0123abcd',
      'mime-version': '1.0',
      'content-type': 'text/plain; charset=UTF-8',
      'content-transfer-encoding': '7bit',
    });
    expect(body).toBe('Hello Ana,\r\nwelcome.\r\n');
    expect(eml.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    expect(messageIdOf(eml)).toBe('abc123@localhost');
  });

  it('encodes a non-ASCII subject as RFC 2047 encoded-words that decode back to it', () => {
    const subject = 'Grüße aus Köln — facture n° 42 🚀 '.repeat(3).trim();
    const { headers } = parseEml(formatEml({ ...message, subject }, meta));
    const raw = headers.get('subject') ?? '';
    expect(raw).toMatch(/^=\?UTF-8\?B\?/);
    expect(raw).not.toMatch(/[^\x20-\x7e]/);
    for (const word of raw.split(' ')) expect(word.length).toBeLessThanOrEqual(75);
    expect(decodeWords(raw)).toBe(subject);
  });

  it('keeps a short ASCII subject as it is', () => {
    expect(encodeHeaderValue('Invoice 42 is due')).toBe('Invoice 42 is due');
  });

  it('sends a non-ASCII body as base64 UTF-8', () => {
    const { headers, body } = parseEml(formatEml({ ...message, text: 'Merci, Zoë!' }, meta));
    expect(headers.get('content-transfer-encoding')).toBe('base64');
    expect(Buffer.from(body, 'base64').toString('utf8')).toBe('Merci, Zoë!');
  });

  it('makes multipart/alternative with a text and an html part when there is html', () => {
    const eml = formatEml({ ...message, cc: undefined, html: '<p>Hello <b>Ana</b></p>' }, meta);
    const { headers, body } = parseEml(eml);
    expect(headers.has('cc')).toBe(false);
    const boundary = /boundary="([^"]+)"/.exec(headers.get('content-type') ?? '')?.[1];
    expect(headers.get('content-type')).toMatch(/^multipart\/alternative; /);
    expect(boundary).toBeDefined();
    const parts = body.split(`--${boundary}`).map((part) => part.trim());
    expect(parts).toHaveLength(4);
    expect(parts[1]).toMatch(/^Content-Type: text\/plain; charset=UTF-8\r\n[\s\S]*Hello Ana,\r\nwelcome\.$/);
    expect(parts[2]).toMatch(/^Content-Type: text\/html; charset=UTF-8\r\n[\s\S]*<p>Hello <b>Ana<\/b><\/p>$/);
    expect(parts[3]).toBe('--');
  });
});
