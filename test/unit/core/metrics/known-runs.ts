import type { Approval } from '../../../../functions/core/approvals/approval.ts';
import type { RunRecord } from '../../../../functions/core/metrics/usage.ts';
import type { ExecutionEvent } from '../../../../functions/core/ports.ts';
import type { AuditEntry, Intent, JournalEntry, Run } from '../../../../functions/core/schemas.ts';

/**
 * Seven runs whose every figure is worked out by hand in workflow-metrics.test.ts. Every item is
 * well under 1 KiB, so each write counts one DynamoDB write unit.
 */
export function run(
  runId: string,
  patch: Partial<Run> & Pick<Run, 'status' | 'createdAt'>,
  workflow = 'onboarding',
): Run {
  return {
    runId,
    workflow,
    workflowVersion: 1,
    mode: 'live',
    input: {},
    budget: { maxUsd: 1, maxModelCalls: 10 },
    spentUsd: 0,
    modelCalls: 0,
    updatedAt: patch.finishedAt ?? patch.createdAt,
    ...patch,
  };
}

export const modelCall = (runId: string, costUsd: number, durationMs: number): JournalEntry => ({
  runId,
  at: '2026-11-01T10:00:01.000Z',
  kind: 'model',
  message: 'planner asked offline (fast tier)',
  data: {
    purpose: 'plan',
    tier: 'fast',
    modelId: 'offline',
    inputTokens: 10,
    outputTokens: 5,
    costUsd,
    durationMs,
  },
});

const decisionLine = (runId: string): JournalEntry => ({
  runId,
  at: '2026-11-01T10:00:02.000Z',
  kind: 'decision',
  message: 'step 1 send-invoice: decided',
});

export function history(transitions: number, tasks: number): ExecutionEvent[] {
  const events: ExecutionEvent[] = [
    { id: 1, timestamp: '2026-11-01T10:00:00.000Z', type: 'ExecutionStarted' },
  ];
  for (let i = 0; i < transitions; i += 1)
    events.push({
      id: events.length + 1,
      timestamp: '2026-11-01T10:00:00.000Z',
      type: i % 2 ? 'ChoiceStateEntered' : 'TaskStateEntered',
    });
  for (let i = 0; i < tasks; i += 1)
    events.push({ id: events.length + 1, timestamp: '2026-11-01T10:00:00.000Z', type: 'TaskStarted' });
  return events;
}

export const intent = (runId: string, attempts: number, status: Intent['status']): Intent => ({
  runId,
  stepIndex: 0,
  stepId: 'send-invoice',
  title: 'Send the invoice',
  action: { type: 'http.request', params: { amount: 1000 } },
  idempotencyKey: `${runId}-0`,
  status,
  attempts,
  recordedAt: '2026-11-01T10:00:00.000Z',
});

export const audit = (runId: string, outcome: AuditEntry['outcome'], durationMs?: number): AuditEntry => ({
  runId,
  stepIndex: 0,
  at: '2026-11-01T10:00:00.000Z',
  outcome,
  actionType: 'http.request',
  agent: 'gateway',
  reason: outcome,
  ...(durationMs === undefined ? {} : { durationMs }),
});

export function approval(
  runId: string,
  patch: Partial<Approval> & Pick<Approval, 'status' | 'createdAt' | 'history'>,
): Approval {
  return {
    approvalId: `${runId}-s0`,
    runId,
    stepIndex: 0,
    stepId: 'send-invoice',
    workflow: 'onboarding',
    summary: 'Send the invoice',
    action: { type: 'http.request', params: { amount: 1000 } },
    risk: 'money',
    editable: ['amount'],
    approvers: { slackUserIds: [], emails: [] },
    channels: ['email'],
    escalation: {
      slackReminderAfterMinutes: 15,
      emailAfterMinutes: 60,
      expireAfterHours: 24,
      onExpiry: 'reject',
    },
    expiresAt: '2026-11-02T10:00:00.000Z',
    escalationStage: 0,
    ...patch,
  };
}

const at = (time: string) => `2026-11-01T${time}.000Z`;

/** R1 succeeded, R2 failed on its budget, R3 rejected, R4 approved with an edit; R5–R7 another workflow. */
export function knownRuns(): RunRecord[] {
  return [
    {
      run: run('r1', { status: 'SUCCEEDED', createdAt: at('10:00:00'), finishedAt: at('10:02:00') }),
      journal: [modelCall('r1', 0.01, 2000)],
      audit: [audit('r1', 'executed', 400)],
      intents: [intent('r1', 1, 'SUCCEEDED')],
      approvals: [],
      history: history(5, 3),
    },
    {
      run: run('r2', {
        status: 'FAILED',
        createdAt: at('11:00:00'),
        finishedAt: at('11:01:00'),
        failure: { error: 'BudgetExceededError', cause: 'over budget', account: 'stopped' },
      }),
      journal: [modelCall('r2', 0.02, 1000)],
      audit: [],
      intents: [],
      approvals: [],
      history: history(2, 1),
    },
    {
      run: run('r3', {
        status: 'FAILED',
        createdAt: at('12:00:00'),
        finishedAt: at('12:10:00'),
        failure: { error: 'ApprovalRejectedError', cause: 'rejected', account: 'rejected' },
      }),
      journal: [modelCall('r3', 0.01, 1000), decisionLine('r3')],
      audit: [audit('r3', 'needs-approval'), audit('r3', 'rejected-by-approver')],
      intents: [intent('r3', 0, 'FAILED')],
      approvals: [
        approval('r3', {
          status: 'REJECTED',
          createdAt: at('12:00:30'),
          decision: { outcome: 'rejected', channel: 'email', by: 'op@example.com', at: at('12:05:30') },
          history: [
            { at: at('12:00:30'), event: 'requested', detail: 'policy' },
            { at: at('12:05:30'), event: 'rejected', detail: 'op' },
          ],
        }),
      ],
      history: history(4, 2),
    },
    {
      run: run('r4', { status: 'SUCCEEDED', createdAt: at('13:00:00'), finishedAt: at('13:30:00') }),
      journal: [modelCall('r4', 0.03, 3000), decisionLine('r4')],
      audit: [
        audit('r4', 'needs-approval'),
        audit('r4', 'approved'),
        audit('r4', 'retrying', 300),
        audit('r4', 'executed', 500),
      ],
      intents: [intent('r4', 2, 'SUCCEEDED')],
      approvals: [
        approval('r4', {
          status: 'APPROVED',
          createdAt: at('13:00:10'),
          decision: {
            outcome: 'approved',
            channel: 'api',
            by: 'operator',
            at: at('13:22:10'),
            openedAt: at('13:20:10'),
            editedParams: { amount: 1200 },
          },
          history: [
            { at: at('13:00:10'), event: 'requested', detail: 'policy' },
            { at: at('13:00:11'), event: 'notified', detail: 'email' },
            { at: at('13:22:10'), event: 'approved', detail: 'operator' },
          ],
        }),
      ],
      history: history(6, 3),
    },
    ...(['ApprovalHandedOffError', 'ExecutionAborted'] as const).map((error, i) => ({
      run: run(
        `r${5 + i}`,
        {
          status: 'FAILED' as const,
          createdAt: at(`14:0${i}:00`),
          finishedAt: at(`14:0${i}:30`),
          failure: { error, cause: error, account: error },
        },
        'invoice-follow-up',
      ),
      journal: [],
      audit: [],
      intents: [],
      approvals: [],
      history: [],
    })),
    {
      run: run('r7', { status: 'RUNNING', createdAt: at('15:00:00') }, 'invoice-follow-up'),
      journal: [],
      audit: [],
      intents: [],
      approvals: [],
      history: [],
    },
  ];
}
