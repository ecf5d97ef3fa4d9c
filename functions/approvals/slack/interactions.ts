import { z } from 'zod';
import { systemClock } from '../../adapters/system-clock.ts';
import type { HttpRequest, HttpResult, RouteHandlers } from '../../api/http.ts';
import type {
  SlackBlock,
  SlackMessageRef,
  SlackModalView,
  SlackTransport,
} from '../../connectors/slack-transport.ts';
import type { Approval, Approvals, DecideResult } from '../../core/approvals/approval.ts';
import { ValidationError } from '../../core/errors.ts';
import { ApprovalIdSchema } from '../../core/ids.ts';
import type { Clock } from '../../core/ports.ts';
import { parseJsonOrThrow, parseOrThrow } from '../../core/validation.ts';
import { logger as powertoolsLogger } from '../../shared/powertools.ts';
import {
  APPROVE_ACTION_ID,
  approvalClosedModal,
  approvalDecidedMessage,
  approvalEditModal,
  decisionSentence,
  EDIT_ACTION_ID,
  EDIT_CALLBACK_ID,
  editedParamsFromView,
  noticeModal,
  REJECT_ACTION_ID,
} from './blocks.ts';
import { SlackTransportCapabilityError } from './errors.ts';
import { headerValue, verifySlackSignature } from './signature.ts';

/** What the handler needs from Slack's Web API: chat.update and views.open. */
export interface SlackInteractionClient {
  updateMessage(channel: string, ts: string, text: string, blocks: readonly SlackBlock[]): Promise<void>;
  openModal(triggerId: string, view: SlackModalView): Promise<void>;
}

/** The subset of a Powertools `Logger` the handler uses. */
export interface InteractionsLogger {
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

export interface SlackInteractionsDeps {
  approvals: Approvals;
  /** The app's signing secret, fetched (and cached) by whoever supplies it; never logged. */
  signingSecret: () => Promise<string>;
  /** Slack user ids that may decide this approval; default its `approvers.slackUserIds`. */
  allowedUserIds?: (approval: Approval) => readonly string[];
  slack: SlackInteractionClient;
  clock?: Clock;
  logger?: InteractionsLogger;
  /**
   * Slack gives up on an answer after 3 s: reading, deciding and updating the message share this
   * budget (default 2500 ms); whatever is not done by then is logged and Slack gets its answer.
   */
  ackBudgetMs?: number;
}

/** The shared Powertools logger, seen through that subset. */
const powertoolsLog: InteractionsLogger = {
  info: (message, attributes = {}) => powertoolsLogger.info(message, attributes),
  warn: (message, attributes = {}) => powertoolsLogger.warn(message, attributes),
  error: (message, attributes = {}) => powertoolsLogger.error(message, attributes),
};

/** The text a user who may not decide sees; nothing is recorded for them. */
export const NOT_ALLOWED_TEXT = 'You are not allowed to decide this request';
const NOT_FOUND_TEXT = 'This approval request was not found; it may have been removed.';
const SLOW_TEXT =
  'Your decision is still being recorded. If this message does not change within a minute, press the button again.';

/** The chat.update / views.open half of a Slack transport, for the interactions handler. */
export function slackInteractionClient(transport: SlackTransport): SlackInteractionClient {
  const update = transport.updateMessage?.bind(transport);
  const open = transport.openModal?.bind(transport);
  if (!update || !open) {
    throw new SlackTransportCapabilityError(
      'the Slack transport must support updateMessage (chat.update) and openModal (views.open) for approvals',
    );
  }
  return {
    async updateMessage(channel, ts, text, blocks) {
      await update({ channel, ts }, { text, blocks });
    },
    openModal: (triggerId, view) => open(triggerId, view),
  };
}

const SlackUserSchema = z.object({
  id: z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'must be a Slack user id'),
});

const BlockActionsSchema = z.object({
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
});

const ViewSubmissionSchema = z.object({
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
});

const PayloadTypeSchema = z.object({ type: z.string().min(1, 'must name the payload type') });
type BlockActions = z.infer<typeof BlockActionsSchema>;
type ViewSubmission = z.infer<typeof ViewSubmissionSchema>;

const json = (statusCode: number, body: unknown): HttpResult => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
/** An empty 200: Slack's acknowledgement (and, for a modal, "close it"). */
const ack = (): HttpResult => ({ statusCode: 200, body: '' });
const ephemeral = (text: string) => json(200, { response_type: 'ephemeral', replace_original: false, text });
const modalUpdate = (view: SlackModalView) => json(200, { response_action: 'update', view });
const modalErrors = (errors: Record<string, string>) => json(200, { response_action: 'errors', errors });

/** Mrkdwn to the plain words an ephemeral fallback or modal error can show. */
const plainWords = (text: string) =>
  text
    .replace(/<!date\^\d+\^[^|>]*\|([^>]*)>/g, '$1')
    .replace(/<@([A-Z0-9]+)>/g, '@$1')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');

type Bounded<T> = { done: true; value: T } | { done: false };

/**
 * Slack interactivity (API Gateway REST → Lambda): Approve, Reject and "Edit, then approve" on an
 * approval message. Verifies the signature over the raw body first (401, nothing else happens),
 * acknowledges Slack's retries without acting again, lets only allow-listed users decide, and
 * answers within Slack's 3 seconds whatever the approval service and the Web API do.
 */
export function createSlackInteractionRoutes(
  deps: SlackInteractionsDeps,
): RouteHandlers<'slack-interactions'> {
  const clock = deps.clock ?? systemClock;
  const log = deps.logger ?? powertoolsLog;
  const budgetMs = deps.ackBudgetMs ?? 2500;
  const allowedUserIds = deps.allowedUserIds ?? ((approval: Approval) => approval.approvers.slackUserIds);

  /** Waits for `work` until the deadline; later failures are logged, never unhandled. */
  async function within<T>(what: string, work: Promise<T>, deadline: number): Promise<Bounded<T>> {
    let timer: NodeJS.Timeout | undefined;
    let late = false;
    work.catch((error: unknown) => {
      if (late) log.error(`${what} failed after Slack was answered`, { error: (error as Error).message });
    });
    const timeout = new Promise<Bounded<T>>((resolve) => {
      timer = setTimeout(() => resolve({ done: false }), Math.max(0, deadline - Date.now()));
    });
    try {
      const outcome = await Promise.race([
        work.then((value): Bounded<T> => ({ done: true, value })),
        timeout,
      ]);
      if (!outcome.done) {
        late = true;
        log.warn(`${what} did not finish within Slack's acknowledgement budget`, { budgetMs });
      }
      return outcome;
    } finally {
      clearTimeout(timer);
    }
  }

  const mayDecide = (approval: Approval, userId: string) => allowedUserIds(approval).includes(userId);

  /** Shows the decision on the clicked message and on the request's own message; failures only logged. */
  async function showDecision(approval: Approval, clicked: SlackMessageRef | undefined, deadline: number) {
    const refs = new Map<string, SlackMessageRef>();
    for (const ref of [clicked, approval.slackMessage]) if (ref) refs.set(`${ref.channel}/${ref.ts}`, ref);
    if (refs.size === 0) return;
    const message = approvalDecidedMessage(approval);
    const updates = [...refs.values()].map(async (ref) => {
      const outcome = await within(
        'chat.update',
        deps.slack.updateMessage(ref.channel, ref.ts, message.text, message.blocks ?? []),
        deadline,
      ).catch((error: unknown) => {
        log.warn('could not update the approval message', {
          approvalId: approval.approvalId,
          error: (error as Error).message,
        });
        return undefined;
      });
      return outcome?.done === true;
    });
    await Promise.all(updates);
  }

  async function onBlockAction(payload: BlockActions, deadline: number): Promise<HttpResult> {
    const [action] = payload.actions;
    if (!action || ![APPROVE_ACTION_ID, REJECT_ACTION_ID, EDIT_ACTION_ID].includes(action.action_id)) {
      return ack(); // not one of aios's buttons
    }
    const approvalId = parseOrThrow(ApprovalIdSchema, action.value, 'actions.0.value');
    const userId = payload.user.id;
    const channel = payload.container?.channel_id ?? payload.channel?.id;
    const ts = payload.container?.message_ts ?? payload.message?.ts;
    const clicked = channel && ts ? { channel, ts } : undefined;
    const context = { approvalId, userId, action: action.action_id };

    const found = await within('reading the approval', deps.approvals.get(approvalId), deadline);
    if (!found.done) return ephemeral(SLOW_TEXT);
    const approval = found.value;
    if (!approval) {
      log.info('Slack action on an unknown approval', context);
      return ephemeral(NOT_FOUND_TEXT);
    }
    if (!mayDecide(approval, userId)) {
      log.warn('Slack user is not allowed to decide this approval; nothing recorded', context);
      return ephemeral(NOT_ALLOWED_TEXT);
    }

    if (action.action_id === EDIT_ACTION_ID) {
      if (approval.status !== 'PENDING') {
        await showDecision(approval, clicked, deadline);
        return ephemeral(plainWords(decisionSentence(approval) ?? 'This request is already decided.'));
      }
      if (approval.editable.length === 0) return ephemeral('This request has nothing to edit.');
      if (!payload.trigger_id)
        throw new ValidationError('trigger_id: Slack sent no trigger id to open the editor');
      const opened = await within(
        'views.open',
        deps.slack.openModal(payload.trigger_id, approvalEditModal(approval)),
        deadline,
      ).catch((error: unknown) => {
        log.warn('could not open the edit modal', { ...context, error: (error as Error).message });
        return undefined;
      });
      if (!opened?.done)
        return ephemeral('Could not open the editor in time; press "Edit, then approve" again.');
      log.info('opened the edit modal', context);
      return ack();
    }

    const outcome = action.action_id === APPROVE_ACTION_ID ? 'approved' : 'rejected';
    const decided = await within(
      'deciding the approval',
      deps.approvals.decide(approvalId, { outcome, channel: 'slack', by: userId }),
      deadline,
    );
    if (!decided.done) return ephemeral(SLOW_TEXT);
    return answerDecision(decided.value, clicked, deadline, context);
  }

  async function answerDecision(
    result: DecideResult,
    clicked: SlackMessageRef | undefined,
    deadline: number,
    context: Record<string, unknown>,
  ): Promise<HttpResult> {
    if (result.ok) {
      log.info('approval decided from Slack', { ...context, status: result.approval.status });
      await showDecision(result.approval, clicked, deadline);
      return ack();
    }
    log.info('Slack decision not recorded', { ...context, reason: result.reason });
    switch (result.reason) {
      case 'not-found':
        return ephemeral(NOT_FOUND_TEXT);
      case 'already-decided':
      case 'expired':
        // A second click anywhere: the message now says who decided and when.
        await showDecision(result.approval, clicked, deadline);
        return ephemeral(result.message);
      case 'not-allowed':
        return ephemeral(NOT_ALLOWED_TEXT);
      case 'invalid-edit':
        return ephemeral(result.message);
    }
  }

  async function onViewSubmission(payload: ViewSubmission, deadline: number): Promise<HttpResult> {
    if (payload.view.callback_id !== EDIT_CALLBACK_ID) return ack();
    const approvalId = parseOrThrow(ApprovalIdSchema, payload.view.private_metadata, 'view.private_metadata');
    const userId = payload.user.id;
    const context = { approvalId, userId, action: EDIT_CALLBACK_ID };
    const firstBlock = Object.keys(payload.view.state.values)[0];
    const errorOn = (blockId: string | undefined, message: string) =>
      blockId ? modalErrors({ [blockId]: message }) : modalUpdate(noticeModal('Not recorded', message));

    const found = await within('reading the approval', deps.approvals.get(approvalId), deadline);
    if (!found.done) return errorOn(firstBlock, SLOW_TEXT);
    const approval = found.value;
    if (!approval) return modalUpdate(noticeModal('Not found', NOT_FOUND_TEXT));
    if (!mayDecide(approval, userId)) {
      log.warn('Slack user is not allowed to decide this approval; nothing recorded', context);
      return errorOn(firstBlock, NOT_ALLOWED_TEXT);
    }
    if (approval.status !== 'PENDING') {
      await showDecision(approval, undefined, deadline);
      return modalUpdate(approvalClosedModal(approval));
    }

    const { params, blockIds } = editedParamsFromView(approval, payload.view.state.values);
    const decided = await within(
      'deciding the approval',
      deps.approvals.decide(approvalId, {
        outcome: 'approved',
        channel: 'slack',
        by: userId,
        ...(Object.keys(params).length > 0 ? { editedParams: params } : {}),
      }),
      deadline,
    );
    if (!decided.done) return errorOn(firstBlock, SLOW_TEXT);
    const result = decided.value;
    if (result.ok) {
      log.info('approval decided from Slack with edits', { ...context, edited: Object.keys(params) });
      await showDecision(result.approval, undefined, deadline);
      return ack(); // closes the modal
    }
    log.info('Slack decision not recorded', { ...context, reason: result.reason });
    switch (result.reason) {
      case 'not-found':
        return modalUpdate(noticeModal('Not found', NOT_FOUND_TEXT));
      case 'already-decided':
      case 'expired':
        await showDecision(result.approval, undefined, deadline);
        return modalUpdate(approvalClosedModal(result.approval));
      case 'not-allowed':
        return errorOn(firstBlock, NOT_ALLOWED_TEXT);
      case 'invalid-edit': {
        // Show the message beside the field it names, or the first field.
        const named = Object.keys(blockIds).find((name) => result.message.includes(name));
        return errorOn(
          (named && blockIds[named]) ?? Object.values(blockIds)[0] ?? firstBlock,
          result.message,
        );
      }
    }
  }

  const slackInteraction = async (event: HttpRequest): Promise<HttpResult> => {
    const deadline = Date.now() + budgetMs;
    const rawBody = event.body;
    let secret: string;
    try {
      secret = await deps.signingSecret();
    } catch (error) {
      log.error('could not read the Slack signing secret', { error: (error as Error).message });
      return json(500, { message: 'internal error; the request id is in the server log' });
    }
    const verified = verifySlackSignature({
      headers: event.headers,
      rawBody,
      signingSecret: secret,
      now: clock.now(),
    });
    if (!verified.ok) {
      log.warn('refused a Slack request that is not signed by Slack', { reason: verified.reason });
      return json(401, { message: `not a signed Slack request: ${verified.message}` });
    }
    const retry = headerValue(event.headers, 'x-slack-retry-num');
    if (retry !== undefined) {
      // The first delivery was handled (or is being handled): a retry changes nothing.
      log.info('acknowledged a Slack retry without acting again', {
        retryNum: retry,
        retryReason: headerValue(event.headers, 'x-slack-retry-reason'),
      });
      return ack();
    }
    try {
      const payload = parsePayload(rawBody);
      if (!payload) return ack(); // an interaction aios does not handle (view_closed, shortcuts, ...)
      return payload.type === 'block_actions'
        ? await onBlockAction(payload, deadline)
        : await onViewSubmission(payload, deadline);
    } catch (error) {
      if (error instanceof ValidationError) {
        log.warn('refused a malformed Slack payload', { error: error.message });
        return json(400, { message: error.message, issues: error.issues });
      }
      log.error('Slack interaction failed', { error: error as Error });
      return json(500, {
        message: 'internal error; the request id is in the server log',
        requestId: event.requestId,
      });
    }
  };
  return { slackInteraction };
}

/** The form field `payload` as one of the interactions aios handles; undefined for any other type. */
function parsePayload(rawBody: Buffer): BlockActions | ViewSubmission | undefined {
  const field = new URLSearchParams(rawBody.toString('utf8')).get('payload');
  if (!field) throw new ValidationError('payload: the form has no payload field');
  const parsed = parseJsonOrThrow(field, 'payload');
  const { type } = parseOrThrow(PayloadTypeSchema, parsed, 'payload');
  if (type === 'block_actions') return parseOrThrow(BlockActionsSchema, parsed, 'payload');
  if (type === 'view_submission') return parseOrThrow(ViewSubmissionSchema, parsed, 'payload');
  return undefined;
}
