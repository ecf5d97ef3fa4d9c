import * as z from 'zod';
import { ValidationError } from '../../core/errors.ts';
import { lazySchema } from '../../core/lazy-schema.ts';
import type { SlackModalView } from '../../core/ports/slack-transport.ts';
import { parseJsonOrThrow, parseOrThrow } from '../../core/validation.ts';
import { type HeaderMap, headerValue, verifySlackSignature } from './signature.ts';

// Slack's interactivity protocol, apart from what aios decides with it: who sent the request, what
// the payload says, and the answers Slack understands. The decision flows are in decisions.ts.
// A request is a click or a modal's submission, so its schemas are built when first needed: a
// cold start builds only the one the first request parses.

const SlackUserSchema = lazySchema(() =>
  z.object({
    id: z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'must be a Slack user id'),
  }),
);

const BlockActionsSchema = lazySchema(() =>
  z.object({
    type: z.literal('block_actions'),
    user: SlackUserSchema,
    trigger_id: z.string().min(1).optional(),
    channel: z.object({ id: z.string().min(1) }).optional(),
    message: z.object({ ts: z.string().min(1) }).optional(),
    container: z
      .object({ channel_id: z.string().min(1).optional(), message_ts: z.string().min(1).optional() })
      .optional(),
    actions: z
      .array(z.object({ action_id: z.string().min(1), value: z.string().optional() }))
      .min(1, 'must name the action'),
  }),
);

const ViewSubmissionSchema = lazySchema(() =>
  z.object({
    type: z.literal('view_submission'),
    user: SlackUserSchema,
    view: z.object({
      callback_id: z.string(),
      private_metadata: z.string(),
      state: z.object({
        values: z.record(
          z.string(),
          z.record(z.string(), z.object({ type: z.string(), value: z.string().nullable().optional() })),
        ),
      }),
    }),
  }),
);

const PayloadTypeSchema = lazySchema(() =>
  z.object({ type: z.string().min(1, 'must name the payload type') }),
);
export type BlockActions = z.infer<typeof BlockActionsSchema>;
export type ViewSubmission = z.infer<typeof ViewSubmissionSchema>;

/** The form field `payload` as one of the interactions aios handles; undefined for any other type. */
export function parseInteractionPayload(rawBody: Buffer): BlockActions | ViewSubmission | undefined {
  const field = new URLSearchParams(rawBody.toString('utf8')).get('payload');
  if (!field) throw new ValidationError('payload: the form has no payload field');
  const parsed = parseJsonOrThrow(field, 'payload');
  const { type } = parseOrThrow(PayloadTypeSchema, parsed, 'payload');
  if (type === 'block_actions') return parseOrThrow(BlockActionsSchema, parsed, 'payload');
  if (type === 'view_submission') return parseOrThrow(ViewSubmissionSchema, parsed, 'payload');
  return undefined;
}

/** The message a button sits on, wherever in the payload Slack put it. */
export function clickedMessage(payload: BlockActions): { channel: string; ts: string } | undefined {
  const channel = payload.container?.channel_id ?? payload.channel?.id;
  const ts = payload.container?.message_ts ?? payload.message?.ts;
  return channel && ts ? { channel, ts } : undefined;
}

export type SlackRequestCheck =
  | { kind: 'refused'; reason: string; message: string }
  /** Slack resends when it had no answer in 3 s; the first delivery was (or is being) handled. */
  | { kind: 'retry'; retryNum: string; retryReason: string | undefined }
  | { kind: 'fresh' };

/** Whether a request is signed by Slack (over the raw body, within the replay window), and a retry. */
export function checkSlackRequest(input: {
  headers: HeaderMap;
  rawBody: Buffer;
  signingSecret: string;
  now: Date;
}): SlackRequestCheck {
  const verified = verifySlackSignature(input);
  if (!verified.ok) return { kind: 'refused', reason: verified.reason, message: verified.message };
  const retryNum = headerValue(input.headers, 'x-slack-retry-num');
  if (retryNum !== undefined) {
    return { kind: 'retry', retryNum, retryReason: headerValue(input.headers, 'x-slack-retry-reason') };
  }
  return { kind: 'fresh' };
}

/** An HTTP answer to Slack; shaped as API Gateway's proxy result, so the Lambda returns it as is. */
export interface SlackAnswer {
  statusCode: number;
  headers?: Record<string, string>;
  body: string;
}

export const jsonAnswer = (statusCode: number, body: unknown): SlackAnswer => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
/** An empty 200: Slack's acknowledgement (and, for a modal, "close it"). */
export const ack = (): SlackAnswer => ({ statusCode: 200, body: '' });
/** A message only the clicking user sees, leaving the original message as it is. */
export const ephemeral = (text: string) =>
  jsonAnswer(200, { response_type: 'ephemeral', replace_original: false, text });
export const modalUpdate = (view: SlackModalView) => jsonAnswer(200, { response_action: 'update', view });
/** Errors shown under the modal's input blocks, by block id. */
export const modalErrors = (errors: Record<string, string>) =>
  jsonAnswer(200, { response_action: 'errors', errors });

/** Mrkdwn to the plain words an ephemeral fallback or modal error can show. */
export const plainWords = (text: string) =>
  text
    .replace(/<!date\^\d+\^[^|>]*\|([^>]*)>/g, '$1')
    .replace(/<@([A-Z0-9]+)>/g, '@$1')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');

export type Bounded<T> = { done: true; value: T } | { done: false };

/** Slack gives up on an answer after 3 s: one request's work shares what is left of its budget. */
export interface AckBudget {
  /** Epoch milliseconds by which Slack must have its answer. */
  deadline: number;
  budgetMs: number;
  log: {
    warn(message: string, attributes?: Record<string, unknown>): void;
    error(message: string, attributes?: Record<string, unknown>): void;
  };
}

export function startAckBudget(budgetMs: number, log: AckBudget['log']): AckBudget {
  return { deadline: Date.now() + budgetMs, budgetMs, log };
}

/** Waits for `work` until the deadline; work not done by then goes on, its later failure logged, never unhandled. */
export async function within<T>(budget: AckBudget, what: string, work: Promise<T>): Promise<Bounded<T>> {
  const { log, budgetMs } = budget;
  let timer: NodeJS.Timeout | undefined;
  let late = false;
  work.catch((error: unknown) => {
    if (late) log.error(`${what} failed after Slack was answered`, { error: (error as Error).message });
  });
  const timeout = new Promise<Bounded<T>>((resolve) => {
    timer = setTimeout(() => resolve({ done: false }), Math.max(0, budget.deadline - Date.now()));
  });
  try {
    const outcome = await Promise.race([work.then((value): Bounded<T> => ({ done: true, value })), timeout]);
    if (!outcome.done) {
      late = true;
      log.warn(`${what} did not finish within Slack's acknowledgement budget`, { budgetMs });
    }
    return outcome;
  } finally {
    clearTimeout(timer);
  }
}
