import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDBApprovalStore } from '../../../functions/adapters/aws/dynamodb-approval-store.ts';
import { createDynamoDBStateStore } from '../../../functions/adapters/aws/dynamodb-state-store.ts';
import { createApprovalService } from '../../../functions/core/approvals/service.ts';
import { createMetricsService } from '../../../functions/core/metrics/metrics-service.ts';
import { ANSWERED } from '../../../functions/core/ports.ts';
import { shippedCatalog, shippedOperatorPolicy } from '../../../functions/shipped-playbooks.ts';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../../lib/local/embedded-dynamodb.ts';
import { TABLE_NAMES } from '../../../lib/local/table-definitions.ts';
import { runFixture } from '../../support/fixtures.ts';

// Decision time: the approver's opening of a request (the console's inbox sends when it rendered
// the form) travels with the decision, is recorded on it (held within the request's life), and
// the metrics subtract it from the time saved. Every figure below is computed by hand.

let db: EmbeddedDynamoDB;
beforeAll(async () => {
  db = await startEmbeddedDynamoDB({ tables: [TABLE_NAMES.state] });
});
afterAll(() => db.close());

const T0 = Date.parse('2026-11-25T10:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000);

function setup() {
  let now = at(0);
  const clock = { now: () => now };
  const tables = { client: db.client, tableName: TABLE_NAMES.state };
  const store = createDynamoDBStateStore(tables);
  const approvals = createDynamoDBApprovalStore(tables);
  const service = createApprovalService({
    approvals,
    store,
    catalog: shippedCatalog,
    operatorPolicy: async () => shippedOperatorPolicy,
    callbacks: { taskSucceeded: async () => ANSWERED, taskFailed: async () => ANSWERED },
    notifier: {
      notify: async () => ({ detail: 'shown in the inbox' }),
      remind: async () => 'reminded',
      escalate: async () => 'escalated',
      showDecision: async () => {},
    },
    clock,
    riskOf: () => 'money',
    validateParams: () => undefined,
  });
  const metrics = createMetricsService({
    store,
    approvals,
    orchestrator: { history: async () => [] },
    catalog: shippedCatalog,
    clock,
  });

  /** A run paused at step 4 at `minute`, its approval requested then; decided at `decideAt` having opened it at `openedAt`. */
  async function decidedRun(runId: string, minute: number, decideAt: number, openedAt?: string) {
    const createdAt = at(minute).toISOString();
    now = at(minute);
    await store.createRun(runFixture({ runId, status: 'RUNNING', createdAt, updatedAt: createdAt }));
    await store.recordIntent({
      runId,
      stepIndex: 4,
      stepId: 'send-first-invoice',
      title: 'Send the first invoice',
      action: { type: 'email.send', params: { to: ['billing@acme.example'], subject: 'Invoice 0001' } },
      idempotencyKey: `key-${runId}-4`,
      status: 'AWAITING_APPROVAL',
      decision: 'needs-approval',
      reason: 'money needs approval',
      attempts: 0,
      recordedAt: createdAt,
    });
    // What the executor writes when the policy sends a step for approval (metrics find approvals by it).
    await store.appendAudit({
      runId,
      stepIndex: 4,
      at: createdAt,
      outcome: 'needs-approval',
      actionType: 'email.send',
      agent: 'executor',
      decision: 'needs-approval',
      reason: 'money needs approval',
    });
    const approval = await service.request({ taskToken: `token-${runId}`, runId, stepIndex: 4 });
    now = at(decideAt);
    const result = await service.decide(approval.approvalId, {
      outcome: 'approved',
      channel: 'api',
      by: 'operator',
      ...(openedAt ? { openedAt } : {}),
    });
    if (!result.ok) throw new Error(`not decided: ${result.reason}`);
    await store.updateRun(runId, ['RUNNING'], {
      status: 'SUCCEEDED',
      finishedAt: at(decideAt + 1).toISOString(),
    });
    return result.approval;
  }
  return { decidedRun, metrics, setNow: (minute: number) => (now = at(minute)) };
}

describe('decision time', () => {
  it('is recorded from the opening the approver sends, held within the request, and taken off the time saved', async () => {
    const { decidedRun, metrics, setNow } = setup();
    // Asked at 0, opened at 3, decided at 5: 2 minutes.
    const a = await decidedRun('dt-a', 0, 5, at(3).toISOString());
    expect(a.decision?.openedAt).toBe(at(3).toISOString());
    // Asked at 10, "opened" at 8 (before it existed: a stale or wrong clock), decided at 14: 4 minutes.
    const b = await decidedRun('dt-b', 10, 14, at(8).toISOString());
    expect(b.decision?.openedAt).toBe(at(10).toISOString());
    // Asked at 20, "opened" at 40 (after the decision), decided at 21: 0 minutes.
    const c = await decidedRun('dt-c', 20, 21, at(40).toISOString());
    expect(c.decision?.openedAt).toBe(at(21).toISOString());
    // Asked at 30, decided at 36 without saying when it was opened (Slack, a link): not measured.
    const d = await decidedRun('dt-d', 30, 36);
    expect(d.decision?.openedAt).toBeUndefined();

    setNow(60);
    const report = await metrics.metrics({ since: at(-1), workflow: 'onboarding' });
    const [onboarding] = report.workflows;
    expect(onboarding).toMatchObject({ runs: 4, succeeded: 4 });
    expect(onboarding?.decisionTime).toEqual({ measured: 3, totalMs: (2 + 4 + 0) * 60_000 });
    // 45 minutes saved per run (onboarding.json) × 4 succeeded − 6 minutes deciding.
    expect(onboarding?.timeSavedMinutes).toBe(45 * 4 - 6);
    // Waiting for the operator counts every approval, measured or not: 5 + 4 + 1 + 6 minutes.
    expect(onboarding?.waitingForOperatorMs).toBe((5 + 4 + 1 + 6) * 60_000);
  });
});
