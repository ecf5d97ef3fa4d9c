import { describe, expect, it } from 'vitest';
import { EmailSendParams, emailSendConnector } from '../../../functions/connectors/email-send.ts';
import { ValidationError } from '../../../functions/core/errors.ts';
import type { EmailMessage, EmailTransport } from '../../../functions/core/ports/email-transport.ts';
import { parseOrThrow } from '../../../functions/core/validation.ts';

const valid = { to: ['ana@acme.example'], subject: 'Welcome', text: 'Hello Ana' };
const parse = (params: unknown) => parseOrThrow(EmailSendParams, params, 'parameters of email.send');

function recordingTransport(dedupes = false): EmailTransport & { sent: EmailMessage[] } {
  const sent: EmailMessage[] = [];
  return {
    sent,
    dedupes,
    async send(message) {
      sent.push(message);
      return { messageId: `m-${sent.length}` };
    },
  };
}

const context = { idempotencyKey: 'aios-abc', runId: 'r1', stepIndex: 2, now: new Date(0) };

describe('email.send parameters', () => {
  it('accepts addresses, a one-line subject, text and optional cc and html', () => {
    expect(parse({ ...valid, cc: ['bo@acme.example'], html: '<p>Hello</p>' })).toEqual({
      ...valid,
      cc: ['bo@acme.example'],
      html: '<p>Hello</p>',
    });
  });

  it('names the field of a bad address', () => {
    expect(() => parse({ ...valid, to: ['ana@acme.example', 'not an address'] })).toThrow(
      /parameters of email\.send is invalid: to\.1: must be an email address/,
    );
    expect(() => parse({ ...valid, cc: ['nobody'] })).toThrow(/cc\.0: must be an email address/);
  });

  it('needs at least one recipient and at most 50 across to and cc', () => {
    expect(() => parse({ ...valid, to: [] })).toThrow(/to: needs at least one address/);
    const many = Array.from({ length: 30 }, (_, i) => `p${i}@acme.example`);
    expect(() => parse({ ...valid, to: many, cc: many })).toThrow(
      /cc: to and cc together may name at most 50/,
    );
    expect(() => parse({ ...valid, to: [...many, ...many] })).toThrow(/to: Too big: .*50/);
  });

  it.each([
    ['a CR/LF (header injection)', 'Hi\r\nBcc: evil@x.example', /subject: must be one line/],
    ['an empty subject', '', /subject: /],
    ['more than 998 characters', 'x'.repeat(999), /subject: /],
  ])('rejects a subject with %s', (_name, subject, message) => {
    let error: unknown;
    try {
      parse({ ...valid, subject });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(message);
  });

  it('requires a text body', () => {
    expect(() => parse({ to: valid.to, subject: 'x' })).toThrow(/text: /);
  });
});

describe('email.send connector', () => {
  it('sends from the configured address with the intent key and returns the message id', async () => {
    const transport = recordingTransport();
    const connector = emailSendConnector({ transport, from: 'ops@acme.example' });
    const output = await connector.execute(parse(valid), context);
    expect(transport.sent).toEqual([
      {
        from: 'ops@acme.example',
        to: valid.to,
        subject: 'Welcome',
        text: 'Hello Ana',
        idempotencyKey: 'aios-abc',
      },
    ]);
    expect(output).toEqual({ messageId: 'm-1', from: 'ops@acme.example', to: valid.to });
  });

  it('declares an external message that cannot be undone, idempotent only when the transport dedupes', () => {
    const ses = emailSendConnector({ transport: recordingTransport(false), from: 'ops@acme.example' });
    const outbox = emailSendConnector({ transport: recordingTransport(true), from: 'aios@localhost' });
    expect([ses.type, ses.risk, ses.undoable, ses.idempotent]).toEqual([
      'email.send',
      'external-message',
      false,
      false,
    ]);
    expect(outbox.idempotent).toBe(true);
  });

  it('refuses a From that is not an address at start-up', () => {
    expect(() =>
      emailSendConnector({ transport: recordingTransport(), from: 'Ops <ops@acme.example>' }),
    ).toThrow(/From address of email\.send is not an email address/);
  });
});
