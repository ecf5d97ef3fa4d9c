import { systemClock } from '../../adapters/system-clock.ts';
import type { HttpRequest, HttpResult, RouteHandlers } from '../../api/http.ts';
import type { Approval, Approvals } from '../../core/approvals/approval.ts';
import { ValidationError } from '../../core/errors.ts';
import type { SlackTransport } from '../../core/ports/slack-transport.ts';
import type { Clock } from '../../core/ports.ts';
import { logger as powertoolsLogger } from '../../shared/powertools.ts';
import {
  type DecisionFlow,
  decideFromButton,
  decideFromEditModal,
  type InteractionsLogger,
  type SlackInteractionClient,
} from './decisions.ts';
import { SlackTransportCapabilityError } from './errors.ts';
import {
  ack,
  checkSlackRequest,
  jsonAnswer,
  parseInteractionPayload,
  type SlackAnswer,
  startAckBudget,
} from './protocol.ts';
import type { HeaderMap } from './signature.ts';

export {
  type InteractionsLogger,
  NOT_ALLOWED_TEXT,
  type SlackInteractionClient,
} from './decisions.ts';

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

/** One interactivity request as it arrived: the raw body is what Slack signed. */
export interface SlackInteractionRequest {
  headers: HeaderMap;
  rawBody: Buffer;
  requestId?: string;
}

/**
 * Slack interactivity, whatever carries the request: Approve, Reject and "Edit, then approve" on an
 * approval message. Verifies the signature over the raw body first (401, nothing else happens),
 * acknowledges Slack's retries without acting again, lets only allow-listed users decide, and
 * answers within Slack's 3 seconds whatever the approval service and the Web API do.
 */
export function createSlackInteractions(deps: SlackInteractionsDeps) {
  const clock = deps.clock ?? systemClock;
  const log = deps.logger ?? powertoolsLog;
  const budgetMs = deps.ackBudgetMs ?? 2500;
  const flow: DecisionFlow = {
    approvals: deps.approvals,
    slack: deps.slack,
    allowedUserIds: deps.allowedUserIds ?? ((approval: Approval) => approval.approvers.slackUserIds),
    log,
  };
  return async (request: SlackInteractionRequest): Promise<SlackAnswer> => {
    const budget = startAckBudget(budgetMs, log);
    let signingSecret: string;
    try {
      signingSecret = await deps.signingSecret();
    } catch (error) {
      log.error('could not read the Slack signing secret', { error: (error as Error).message });
      return jsonAnswer(500, { message: 'internal error; the request id is in the server log' });
    }
    const check = checkSlackRequest({
      headers: request.headers,
      rawBody: request.rawBody,
      signingSecret,
      now: clock.now(),
    });
    if (check.kind === 'refused') {
      log.warn('refused a Slack request that is not signed by Slack', { reason: check.reason });
      return jsonAnswer(401, { message: `not a signed Slack request: ${check.message}` });
    }
    if (check.kind === 'retry') {
      // The first delivery was handled (or is being handled): a retry changes nothing.
      log.info('acknowledged a Slack retry without acting again', {
        retryNum: check.retryNum,
        retryReason: check.retryReason,
      });
      return ack();
    }
    try {
      const payload = parseInteractionPayload(request.rawBody);
      if (!payload) return ack(); // an interaction aios does not handle (view_closed, shortcuts, ...)
      return payload.type === 'block_actions'
        ? await decideFromButton(flow, payload, budget)
        : await decideFromEditModal(flow, payload, budget);
    } catch (error) {
      if (error instanceof ValidationError) {
        log.warn('refused a malformed Slack payload', { error: error.message });
        return jsonAnswer(400, { message: error.message, issues: error.issues });
      }
      log.error('Slack interaction failed', { error: error as Error });
      return jsonAnswer(500, {
        message: 'internal error; the request id is in the server log',
        requestId: request.requestId,
      });
    }
  };
}

/** The interactions as the routes of the `slack-interactions` function in the route table. */
export function createSlackInteractionRoutes(
  deps: SlackInteractionsDeps,
): RouteHandlers<'slack-interactions'> {
  const interactions = createSlackInteractions(deps);
  return {
    slackInteraction: (request: HttpRequest): Promise<HttpResult> =>
      interactions({ headers: request.headers, rawBody: request.body, requestId: request.requestId }),
  };
}
