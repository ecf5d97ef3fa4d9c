import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { LinkTokenUses } from '../../../../functions/approvals/email/link-token.ts';
import type {
  Approval,
  Approvals,
  DecideRequest,
  DecideResult,
} from '../../../../functions/core/approvals/approval.ts';
import type { Clock } from '../../../../functions/core/ports.ts';

export const APPROVER = 'owner@studio.example';

export function approvalFixture(overrides: Partial<Approval> = {}): Approval {
  return {
    approvalId: 'apr-0001',
    runId: 'onboarding-20261125-100000-abcd1234',
    stepIndex: 3,
    stepId: 'send-first-invoice',
    workflow: 'onboarding',
    summary: 'Send the first invoice of 1500 EUR to Acme Studio (billing@acme.example)',
    action: {
      type: 'email.send',
      params: { to: ['billing@acme.example'], subject: 'Your first invoice', amount: 1500 },
    },
    risk: 'money',
    editable: [],
    status: 'PENDING',
    approvers: { slackUserIds: ['U0123ABC'], emails: [APPROVER, 'partner@studio.example'] },
    channels: ['email'],
    escalation: {
      slackReminderAfterMinutes: 15,
      emailAfterMinutes: 60,
      expireAfterHours: 24,
      onExpiry: 'reject',
    },
    createdAt: '2026-11-25T10:00:00.000Z',
    expiresAt: '2026-11-26T10:00:00.000Z',
    escalationStage: 0,
    history: [{ at: '2026-11-25T10:00:00.000Z', event: 'requested', detail: 'step 3 needs approval' }],
    ...overrides,
  };
}

/** The approval service as the channels see it: first decision wins, the bound address must be listed. */
export function createFakeApprovals(
  initial: Approval[],
  clock: Clock,
): Approvals & {
  decisions: { approvalId: string; request: DecideRequest }[];
  records: Map<string, Approval>;
} {
  const records = new Map(initial.map((approval) => [approval.approvalId, structuredClone(approval)]));
  const decisions: { approvalId: string; request: DecideRequest }[] = [];
  return {
    records,
    decisions,
    async get(approvalId) {
      const approval = records.get(approvalId);
      return approval ? structuredClone(approval) : undefined;
    },
    async listPending() {
      return [...records.values()].filter((approval) => approval.status === 'PENDING');
    },
    async decide(approvalId, request): Promise<DecideResult> {
      decisions.push({ approvalId, request });
      const approval = records.get(approvalId);
      if (!approval) return { ok: false, reason: 'not-found' };
      if (approval.status !== 'PENDING') {
        return {
          ok: false,
          reason: approval.status === 'EXPIRED' ? 'expired' : 'already-decided',
          approval: structuredClone(approval),
          message: `approval ${approvalId} is ${approval.status}`,
        };
      }
      if (request.channel === 'email' && !approval.approvers.emails.includes(request.by)) {
        return {
          ok: false,
          reason: 'not-allowed',
          approval: structuredClone(approval),
          message: `${request.by} may not decide approval ${approvalId}`,
        };
      }
      const at = clock.now().toISOString();
      approval.status = request.outcome === 'approved' ? 'APPROVED' : 'REJECTED';
      approval.decision = { ...request, at };
      approval.history.push({
        at,
        event: request.outcome,
        channel: request.channel,
        detail: `by ${request.by}`,
      });
      return { ok: true, approval: structuredClone(approval) };
    },
  };
}

export function createMemoryLinkTokenUses(): LinkTokenUses & { used: Set<string> } {
  const used = new Set<string>();
  return {
    used,
    async markUsed(nonce) {
      if (used.has(nonce)) return false;
      used.add(nonce);
      return true;
    },
  };
}

/** A clock the test moves forward. */
export function movableClock(iso = '2026-11-25T10:00:00.000Z'): Clock & { advance(ms: number): void } {
  let now = new Date(iso).getTime();
  return {
    now: () => new Date(now),
    advance(ms) {
      now += ms;
    },
  };
}

export function linkEvent(
  method: 'GET' | 'POST' | 'PUT',
  approvalId: string,
  options: { token?: string; form?: Record<string, string>; contentType?: string } = {},
): APIGatewayProxyEvent {
  const body = options.form ? new URLSearchParams(options.form).toString() : null;
  const contentType = options.contentType ?? (options.form ? 'application/x-www-form-urlencoded' : undefined);
  return {
    httpMethod: method,
    resource: '/approvals/{id}/link',
    path: `/approvals/${approvalId}/link`,
    body,
    headers: contentType ? { 'Content-Type': contentType } : {},
    multiValueHeaders: {},
    isBase64Encoded: false,
    pathParameters: { id: approvalId },
    queryStringParameters: options.token === undefined ? null : { token: options.token },
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: { requestId: 'req-1' } as APIGatewayProxyEvent['requestContext'],
  };
}
