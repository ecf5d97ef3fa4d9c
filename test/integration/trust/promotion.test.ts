import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDynamoDBRunStartClaims } from '../../../functions/adapters/aws/dynamodb-run-start-claims.ts';
import { createDynamoDBStateStore } from '../../../functions/adapters/aws/dynamodb-state-store.ts';
import { createDynamoDBTrustStore } from '../../../functions/adapters/aws/dynamodb-trust-store.ts';
import type { Approval } from '../../../functions/core/approvals/approval.ts';
import { createCatalog } from '../../../functions/core/catalog.ts';
import type { StateStore } from '../../../functions/core/ports.ts';
import { createRunRecorder } from '../../../functions/core/run-recorder.ts';
import { createRunsService } from '../../../functions/core/runs-service.ts';
import {
  createTrustService,
  modeAuditId,
  type TrustService,
} from '../../../functions/core/trust/trust-service.ts';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../../lib/local/embedded-dynamodb.ts';
import { TABLE_NAMES } from '../../../lib/local/table-definitions.ts';
import { runFixture } from '../../support/fixtures.ts';
import { scenarioWorkflow } from '../../support/local-runtime.ts';

/** A shadow workflow of one external action (a webhook call), with the default promotion gate. */
const catalog = createCatalog([
  scenarioWorkflow({ name: 'trusty', mode: 'shadow' }),
  scenarioWorkflow({
    name: 'gated',
    policy: { rules: [{ action: 'http.request', decision: 'needs-approval', reason: 'x' }] },
  }),
]);

let db: EmbeddedDynamoDB;
let store: StateStore;
let trust: TrustService;
let tick = 0;
// Each call a later time, so "the last N judged" has an order.
const clock = { now: () => new Date(Date.UTC(2026, 10, 25, 10, 0, 0, tick++)) };

beforeEach(async () => {
  db = await startEmbeddedDynamoDB({ tables: [TABLE_NAMES.state] });
  store = createDynamoDBStateStore({ client: db.client, tableName: TABLE_NAMES.state });
  trust = createTrustService({
    trust: createDynamoDBTrustStore({ client: db.client, tableName: TABLE_NAMES.state }),
    store,
    catalog,
    clock,
  });
});
afterEach(async () => {
  await db.close();
});

/** `n` shadow runs of trusty that each proposed one webhook call, finished by the run recorder. */
async function finishedShadowRuns(n: number) {
  const recorder = createRunRecorder({ store, clock, reviews: trust });
  for (let i = 0; i < n; i += 1) {
    const runId = `trusty-20261125-100000-${String(i).padStart(8, '0')}`;
    await store.createRun(runFixture({ runId, workflow: 'trusty', mode: 'shadow', input: {} }));
    await store.recordIntent({
      runId,
      stepIndex: 1,
      stepId: 'call-hook',
      title: 'Call the webhook',
      action: { type: 'http.request', params: { url: 'https://crm.example/hook', method: 'POST' } },
      idempotencyKey: `${runId}-1`,
      status: 'SHADOWED',
      decision: 'allow',
      attempts: 0,
      recordedAt: clock.now().toISOString(),
      result: { ok: true, output: { shadow: true }, durationMs: 0, attempts: 0 },
    });
    await recorder.finish(runId);
    await recorder.finish(runId); // a repeated finish opens nothing twice
  }
}

async function judgeAll(agree: number) {
  const reviews = await trust.listReviews();
  for (const [i, review] of reviews.entries()) {
    await trust.judge(
      review.reviewId,
      i < agree
        ? { verdict: 'agree', by: 'alice' }
        : { verdict: 'change', change: { url: 'https://crm.example/other' }, by: 'alice' },
    );
  }
}

describe('shadow runs that earn promotion', () => {
  it('20 shadow runs judged 19 agree / 1 change: promote succeeds at 0.95, with who and why in the audit log; runs then start live', async () => {
    await finishedShadowRuns(20);
    const reviews = await trust.listReviews();
    expect(reviews).toHaveLength(20);
    expect(reviews[0]).toMatchObject({
      workflow: 'trusty',
      status: 'PENDING',
      action: { type: 'http.request' },
    });
    await judgeAll(19);
    expect(await trust.listReviews()).toEqual([]);
    await expect(trust.judge(reviews[0]?.reviewId ?? '', { verdict: 'agree' })).rejects.toThrow(
      /judged already/,
    );

    const change = await trust.promote('trusty', { by: 'alice', why: 'it drafts as I would' });
    expect(change).toMatchObject({
      mode: 'live',
      by: 'alice',
      agreement: { judged: 20, agreed: 19, rate: 0.95 },
    });
    const audit = await store.listAudit(modeAuditId('trusty'));
    expect(audit).toEqual([
      expect.objectContaining({
        outcome: 'promoted',
        agent: 'alice',
        reason: expect.stringMatching(
          /promoted to live by alice: it drafts as I would \(agreement 0\.95 over the last 20 judged\)/,
        ),
      }),
    ]);
    const status = await trust.status('trusty');
    expect(status.mode).toBe('live');
    expect(status.modeChanges.map((c) => [c.mode, c.by, c.why])).toEqual([
      ['live', 'alice', 'it drafts as I would'],
    ]);

    // New runs start in the mode the operator set, over the playbook's shadow.
    const runs = createRunsService({
      store,
      catalog,
      clock,
      claims: createDynamoDBRunStartClaims({ client: db.client, tableName: TABLE_NAMES.state }),
      orchestrator: {
        startRun: async () => {},
        stopRun: async () => {},
        execution: async () => undefined,
        history: async () => [],
      },
      modes: trust,
    });
    expect((await runs.start({ workflow: 'trusty', input: { hook: 'https://x.example' } })).run.mode).toBe(
      'live',
    );

    // Demotion needs no numbers and takes effect at once.
    await trust.demote('trusty', { by: 'bob', why: 'a bad week' });
    expect((await runs.start({ workflow: 'trusty', input: { hook: 'https://x.example' } })).run.mode).toBe(
      'shadow',
    );
    expect((await store.listAudit(modeAuditId('trusty'))).map((a) => [a.outcome, a.agent])).toEqual([
      ['promoted', 'alice'],
      ['demoted', 'bob'],
    ]);
  });

  it('17 of 20 agree: promote refuses with the numbers (0.85 < 0.9) and nothing changes', async () => {
    await finishedShadowRuns(20);
    await judgeAll(17);
    await expect(trust.promote('trusty', { by: 'alice' })).rejects.toThrow(
      /agreement 0\.85 < 0\.9 over the last 20 judged \(17 agreed\)/,
    );
    expect((await trust.status('trusty')).mode).toBe('shadow');
    expect(await store.listAudit(modeAuditId('trusty'))).toEqual([]);
  });

  it('too few judged: promote refuses and says how many are needed', async () => {
    await finishedShadowRuns(3);
    await judgeAll(3);
    await expect(trust.promote('trusty')).rejects.toThrow(/3 judged < 20 needed/);
  });

  it('approvals of live runs count: unchanged agrees, edited or rejected does not; all unchanged suggests relaxing the gate', async () => {
    const approval = (
      i: number,
      decision: Partial<NonNullable<Approval['decision']>>,
      status: Approval['status'],
    ) =>
      ({
        approvalId: `gated-${i}-s1`,
        runId: `gated-20261125-100000-${String(i).padStart(8, '0')}`,
        stepIndex: 1,
        action: { type: 'http.request', params: {} },
        status,
        decision: {
          outcome: 'approved',
          channel: 'api',
          by: 'operator',
          at: clock.now().toISOString(),
          ...decision,
        },
      }) as Approval;
    for (let i = 0; i < 23; i += 1) {
      await store.createRun(
        runFixture({ runId: approval(i, {}, 'APPROVED').runId, workflow: 'gated', input: {} }),
      );
    }
    await trust.fromApproval(approval(0, { editedParams: { url: 'https://b.example' } }, 'APPROVED'));
    await trust.fromApproval(approval(1, { outcome: 'rejected' }, 'REJECTED'));
    await trust.fromApproval(approval(2, {}, 'APPROVED'));
    let status = await trust.status('gated');
    expect(status.agreement[0]).toMatchObject({ judged: 3, agreed: 1 });
    expect(status.suggestions).toEqual([]);
    for (let i = 3; i < 23; i += 1) await trust.fromApproval(approval(i, {}, 'APPROVED'));
    status = await trust.status('gated');
    expect(status.agreement[0]).toMatchObject({ judged: 20, agreed: 20, rate: 1 });
    expect(status.suggestions).toEqual([
      expect.objectContaining({
        actionType: 'http.request',
        approvals: 20,
        message: expect.stringMatching(/could be relaxed/),
      }),
    ]);
    // A suggestion only: the workflow's policy is what it was.
    expect(catalog.get('gated')?.policy.rules).toHaveLength(1);
  });
});
