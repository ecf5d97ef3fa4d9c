import * as z from 'zod';
import type { Connector } from '../core/connector.ts';
import { lazySchema } from '../core/lazy-schema.ts';
import type { EmailTransport } from '../core/ports/email-transport.ts';

/** SES accepts at most 50 recipients per message, To and Cc together. */
export const MAX_EMAIL_RECIPIENTS = 50;
const MAX_BODY_CHARS = 500_000;

const Address = z.email({ error: 'must be an email address' });

export const EmailSendParams = lazySchema(() =>
  z
    .object({
      to: z.array(Address).min(1, 'needs at least one address').max(MAX_EMAIL_RECIPIENTS),
      cc: z.array(Address).max(MAX_EMAIL_RECIPIENTS).optional(),
      // 998 is RFC 5322's line limit; a CR or LF would let a value inject headers.
      subject: z
        .string()
        .min(1)
        .max(998)
        .regex(/^[^\r\n]*$/, 'must be one line (no CR or LF)'),
      text: z.string().min(1).max(MAX_BODY_CHARS),
      html: z.string().min(1).max(MAX_BODY_CHARS).optional(),
    })
    .refine((params) => params.to.length + (params.cc?.length ?? 0) <= MAX_EMAIL_RECIPIENTS, {
      path: ['cc'],
      error: `to and cc together may name at most ${MAX_EMAIL_RECIPIENTS} addresses`,
    }),
);

export interface EmailSendOptions {
  transport: EmailTransport;
  /** The sender: on AWS an address of a verified SES identity (EMAIL_FROM). */
  from: string;
}

/**
 * Sends an email. The From address is configuration, never a parameter, so a plan cannot send
 * as someone else. Idempotent only when the transport dedupes by key (the local outbox does,
 * SES does not): otherwise an attempt with an unknown outcome goes to the operator.
 */
export function emailSendConnector(options: EmailSendOptions): Connector<typeof EmailSendParams> {
  // Looser than a recipient's check: the local runtime sends as aios@localhost.
  if (!/^[^\s@<>,;]+@[^\s@<>,;]+$/.test(options.from)) {
    throw new Error(`the From address of email.send is not an email address: ${options.from}`);
  }
  const { transport, from } = options;
  return {
    type: 'email.send',
    paramsSchema: EmailSendParams,
    risk: 'external-message',
    undoable: false,
    idempotent: transport.dedupes,
    async execute(params, context) {
      const { messageId } = await transport.send(
        {
          from,
          to: params.to,
          ...(params.cc && params.cc.length > 0 ? { cc: params.cc } : {}),
          subject: params.subject,
          text: params.text,
          ...(params.html ? { html: params.html } : {}),
          idempotencyKey: context.idempotencyKey,
        },
        { signal: context.signal },
      );
      return { messageId, from, to: params.to, ...(params.cc ? { cc: params.cc } : {}) };
    },
  };
}
