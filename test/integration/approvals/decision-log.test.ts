import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDBTrustStore } from '../../../functions/adapters/aws/dynamodb-trust-store.ts';
import { systemClock } from '../../../functions/adapters/system-clock.ts';
import { createDecisions, createPublicApprovals, createTrust } from '../../../functions/app.ts';
import type { Approval } from '../../../functions/core/approvals/approval.ts';
import { ANSWERED } from '../../../functions/core/ports.ts';
import { createRunRecorder } from '../../../functions/core/run-recorder.ts';
import { shippedCatalog, shippedOperatorPolicy } from '../../../functions/shipped-playbooks.ts';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../../lib/local/embedded-dynamodb.ts';
import { TABLE_NAMES } from '../../../lib/local/table-definitions.ts';
import { approvalHarness } from '../../support/approval-harness.ts';

let db: EmbeddedDynamoDB;
beforeAll(async () => {
  db = await startEmbeddedDynamoDB({ tables: [TABLE_NAMES.state] });
});
afterAll(async () => {
  await db.close();
});

const DECISION = { outcome: 'approved', channel: 'email', by: 'ops@example.com' } as const;
const later = () => new Date(Date.now() + 60_000);

/**
 * The approval service of the public link and Slack endpoints (a store that refuses every run-item
 * call, as their IAM roles do on AWS), the appender that logs what they decide, and a paused run.
 */
async function setUp(name: string) {
  const harness = approvalHarness({ client: db.client, tableName: TABLE_NAMES.state });
  const trustStore = createDynamoDBTrustStore({ client: db.client, tableName: TABLE_NAMES.state });
  const trust = createTrust({
    trust: trustStore,
    store: harness.store,
    catalog: shippedCatalog,
    clock: systemClock,
  });
  const decisions = createDecisions({
    approvals: harness.approvals,
    store: harness.store,
    clock: systemClock,
    trust,
  });
  const publicApprovals = createPublicApprovals({
    approvals: harness.approvals,
    catalog: shippedCatalog,
    operatorPolicy: async () => shippedOperatorPolicy,
    callbacks: {
      async taskSucceeded(token, output) {
        harness.answers.push({ token, kind: 'success', output });
        return ANSWERED;
      },
      async taskFailed(token, error) {
        harness.answers.push({ token, kind: 'failure', error });
        return ANSWERED;
      },
    },
    clock: systemClock,
    channels: {},
  });
  const step = await harness.pausedRun(`${name}-${Date.now()}`);
  await harness.service.request({ ...step, taskToken: `token-${step.runId}` });
  const approval = (await harness.approvals.get(step.approvalId)) as Approval;
  // Approvers come from the registry's policy; the shipped one lists this address.
  const by = approval.approvers.emails[0] ?? DECISION.by;
  const decisionsOf = async () => ({
    audit: (await harness.store.listAudit(step.runId)).filter((e) =>
      ['approved', 'rejected-by-approver'].includes(e.outcome),
    ),
    journal: (await harness.store.listJournal(step.runId)).filter((e) => e.data?.settlement === true),
  });
  return { harness, trustStore, decisions, publicApprovals, step, by, decisionsOf };
}

describe('decisions on the public endpoints: the approval item only, logged by an appender', () => {
  it('a link decision touches no run item; the executor (as the run resumes) logs it once, with its judgement', async () => {
    const { harness, trustStore, decisions, publicApprovals, step, by, decisionsOf } = await setUp('pub');
    const decided = await publicApprovals.decide(step.approvalId, { ...DECISION, by });
    expect(decided).toMatchObject({ ok: true, approval: { status: 'APPROVED' } });
    // The run was told; nothing is on the run's record yet, and recovery still lists the approval.
    expect(harness.answers.filter((a) => a.token === `token-${step.runId}`)).toHaveLength(1);
    expect(await decisionsOf()).toEqual({ audit: [], journal: [] });
    const listed = await harness.service.unanswered(later());
    expect(listed.find((a) => a.approvalId === step.approvalId)?.answeredAt).toBeDefined();

    // The executor's "approved" op and a recovery sweep at once: one entry each, not two.
    await Promise.all([
      decisions.step(step.runId, step.stepIndex),
      decisions.step(step.runId, step.stepIndex),
    ]);
    await harness.service.answerSettled(step.approvalId);
    const { audit, journal } = await decisionsOf();
    expect(audit).toMatchObject([{ outcome: 'approved', agent: `email:${by}`, stepIndex: step.stepIndex }]);
    expect(journal).toHaveLength(1);
    expect(journal[0]?.message).toMatch(/approved by .* via email/);
    const judgements = await trustStore.listJudgements('onboarding', 1);
    expect(judgements.filter((j) => j.runId === step.runId)).toMatchObject([
      { verdict: 'agree', source: 'approval' },
    ]);
    expect((await harness.approvals.get(step.approvalId))?.loggedAt).toBeDefined();
    expect((await harness.service.unanswered(later())).map((a) => a.approvalId)).not.toContain(
      step.approvalId,
    );
    // The run was told once, by the endpoint: recovery had nothing more to answer.
    expect(harness.answers.filter((a) => a.token === `token-${step.runId}`)).toHaveLength(1);
  });

  it('nobody resumes the run (it was cancelled meanwhile): the recovery sweep logs the decision, once', async () => {
    const { harness, publicApprovals, step, by, decisionsOf } = await setUp('sweep');
    await publicApprovals.decide(step.approvalId, { ...DECISION, outcome: 'rejected', by });
    expect((await decisionsOf()).audit).toEqual([]);
    for (const listed of await harness.service.unanswered(later()))
      await harness.service.answerSettled(listed.approvalId);
    for (const listed of await harness.service.unanswered(later()))
      await harness.service.answerSettled(listed.approvalId);
    const { audit, journal } = await decisionsOf();
    expect(audit.map((e) => e.outcome)).toEqual(['rejected-by-approver']);
    expect(journal).toHaveLength(1);
  });

  it('a rejection the run fails on is logged by the run recorder before the failure account', async () => {
    const { harness, decisions, publicApprovals, step, by, decisionsOf } = await setUp('rejected');
    await publicApprovals.decide(step.approvalId, {
      ...DECISION,
      outcome: 'rejected',
      by,
      note: 'too early',
    });
    const recorder = createRunRecorder({ store: harness.store, clock: systemClock, decisions });
    const failed = await recorder.fail(step.runId, {
      Error: 'ApprovalRejectedError',
      Cause: `rejected by ${by} via email: too early`,
    });
    expect(failed.status).toBe('FAILED');
    const { audit, journal } = await decisionsOf();
    expect(audit).toMatchObject([
      { outcome: 'rejected-by-approver', reason: expect.stringMatching(/too early/) },
    ]);
    const entries = await harness.store.listJournal(step.runId);
    expect(entries.findIndex((e) => e.data?.settlement === true)).toBeLessThan(
      entries.findIndex((e) => e.kind === 'failure'),
    );
    expect(journal).toHaveLength(1);
  });
});
