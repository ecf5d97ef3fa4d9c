import type { APIGatewayProxyEvent } from 'aws-lambda';
import { signSlackRequest } from '../../../../functions/approvals/slack/signature.ts';
import type {
  Approval,
  Approvals,
  DecideRequest,
  DecideResult,
} from '../../../../functions/core/approvals/approval.ts';
import { SIGNING_SECRET } from '../../../unit/approvals/slack/fixtures.ts';

export const NOW = new Date('2026-11-25T10:05:00.000Z');
export const NOW_SECONDS = Math.floor(NOW.getTime() / 1000);

/**
 * The approval service as the Slack channel sees it, in memory: first decision wins, a decision
 * after expiry is `expired`, an `amount` edit must be a positive number. Every call is recorded.
 */
export function fakeApprovals(initial: Approval[], options: { decideDelayMs?: number } = {}) {
  const records = new Map(initial.map((a) => [a.approvalId, structuredClone(a)]));
  const decideCalls: { approvalId: string; request: DecideRequest }[] = [];
  const approvals: Approvals = {
    async get(approvalId) {
      const found = records.get(approvalId);
      return found && structuredClone(found);
    },
    async listPending() {
      return [...records.values()].filter((a) => a.status === 'PENDING');
    },
    async decide(approvalId, request): Promise<DecideResult> {
      decideCalls.push({ approvalId, request });
      if (options.decideDelayMs) await new Promise((resolve) => setTimeout(resolve, options.decideDelayMs));
      const approval = records.get(approvalId);
      if (!approval) return { ok: false, reason: 'not-found' };
      if (approval.status === 'EXPIRED' || new Date(approval.expiresAt) <= NOW) {
        return { ok: false, reason: 'expired', approval, message: 'This request expired without a decision' };
      }
      if (approval.decision) {
        return {
          ok: false,
          reason: 'already-decided',
          approval,
          message: `Already ${approval.decision.outcome} by ${approval.decision.by} at ${approval.decision.at}`,
        };
      }
      const amount = request.editedParams?.amount;
      if (amount !== undefined && !(typeof amount === 'number' && amount > 0)) {
        return { ok: false, reason: 'invalid-edit', approval, message: 'amount: must be a positive number' };
      }
      approval.status = request.outcome === 'approved' ? 'APPROVED' : 'REJECTED';
      approval.decision = {
        outcome: request.outcome,
        channel: request.channel,
        by: request.by,
        at: NOW.toISOString(),
        ...(request.note ? { note: request.note } : {}),
        ...(request.editedParams ? { editedParams: request.editedParams } : {}),
      };
      approval.history.push({
        at: NOW.toISOString(),
        event: approval.status === 'APPROVED' ? 'approved' : 'rejected',
        channel: 'slack',
        detail: request.by,
      });
      return { ok: true, approval: structuredClone(approval) };
    },
  };
  return { approvals, decideCalls, records };
}

/** What Slack posts: `payload=<json>` form-encoded. */
export const formBody = (payload: unknown) => `payload=${encodeURIComponent(JSON.stringify(payload))}`;

export function blockAction(
  actionId: string,
  value: string,
  user = 'U0APPROVER',
  message: { channel: string; ts: string } = { channel: 'C0APPROVALS', ts: '1795600000.000100' },
) {
  return {
    type: 'block_actions',
    user: { id: user, username: 'someone', team_id: 'T0TEAM' },
    api_app_id: 'A0APP',
    trigger_id: '123.456.trigger',
    response_url: 'https://hooks.slack.com/actions/T0TEAM/1/secret',
    container: { type: 'message', message_ts: message.ts, channel_id: message.channel, is_ephemeral: false },
    channel: { id: message.channel, name: 'aios-approvals' },
    message: { type: 'message', ts: message.ts, text: 'Approval needed' },
    actions: [
      { type: 'button', action_id: actionId, block_id: 'aios_decision', value, action_ts: '1795600300.1' },
    ],
  };
}

export function viewSubmission(approvalId: string, values: Record<string, string>, user = 'U0APPROVER') {
  return {
    type: 'view_submission',
    user: { id: user },
    trigger_id: '789.trigger',
    view: {
      id: 'V0VIEW',
      callback_id: 'aios_edit_submit',
      private_metadata: approvalId,
      state: {
        values: Object.fromEntries(
          Object.entries(values).map(([name, value]) => [
            `param:${name}`,
            { value: { type: 'plain_text_input', value } },
          ]),
        ),
      },
    },
  };
}

/** The event API Gateway (REST, proxy) hands the Lambda, signed as Slack would sign it. */
export function slackEvent(
  body: string,
  options: {
    timestamp?: number;
    secret?: string;
    signature?: string;
    headers?: Record<string, string>;
    base64?: boolean;
  } = {},
): APIGatewayProxyEvent {
  const timestamp = options.timestamp ?? NOW_SECONDS;
  const signature = options.signature ?? signSlackRequest(options.secret ?? SIGNING_SECRET, timestamp, body);
  return {
    resource: '/slack/interactions',
    path: '/slack/interactions',
    httpMethod: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Slack-Request-Timestamp': String(timestamp),
      'X-Slack-Signature': signature,
      ...options.headers,
    },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: { requestId: 'req-slack-1' } as APIGatewayProxyEvent['requestContext'],
    body: options.base64 ? Buffer.from(body, 'utf8').toString('base64') : body,
    isBase64Encoded: options.base64 ?? false,
  };
}
