import { describe, expect, it } from 'vitest';
import { createHmacGrantSigner, verifyGrant } from '../../../functions/core/capability.ts';
import { createCatalog } from '../../../functions/core/catalog.ts';
import { createExecutor } from '../../../functions/core/executor.ts';
import type { StateStore } from '../../../functions/core/ports.ts';
import type { OperatorPolicy, PlanStep } from '../../../functions/core/schemas.ts';
import { fixedClock, runFixture } from '../../support/fixtures.ts';
import { scenarioWorkflow } from '../../support/local-runtime.ts';
import { createMemoryStateStore } from '../../support/memory-state-store.ts';

const signer = createHmacGrantSigner(async () => 's'.repeat(64));
const operator: OperatorPolicy = {
  byRisk: { read: 'allow', write: 'allow', 'external-message': 'needs-approval', money: 'deny' },
  rules: [],
  approvers: { slackUserIds: [], emails: [] },
};
const RISKS: Record<string, 'write' | 'external-message'> = {
  'state.upsert': 'write',
  'http.request': 'write',
  'email.send': 'external-message',
};
const step = (action: string): PlanStep => ({
  id: 'only',
  title: 'Only',
  action: { type: action, params: {} },
});

async function setup(action: string, options: { steps?: PlanStep[]; store?: StateStore } = {}) {
  const store = options.store ?? createMemoryStateStore();
  const run = runFixture({ runId: 'r1', workflow: 'scenario' });
  await store.createRun(run);
  await store.savePlan({ runId: 'r1', steps: options.steps ?? [step(action)], modelId: 'm', createdAt: 't' });
  const executor = createExecutor({
    store,
    catalog: createCatalog([
      scenarioWorkflow({ allowedActions: ['state.upsert', 'http.request', 'email.send'] }),
    ]),
    clock: fixedClock(),
    operatorPolicy: async () => operator,
    riskOf: (type) => RISKS[type],
    compensationOf: () => undefined,
    validateParams: () => undefined,
    signer,
  });
  return { store, executor };
}

describe('executor', () => {
  it('records the intent, audits the decision and mints a grant for exactly this step and action', async () => {
    const { store, executor } = await setup('state.upsert');
    const recorded = await executor.recordIntent('r1', 0, step('state.upsert'));
    expect(recorded.decision).toBe('allow');
    expect((await store.getIntent('r1', 0))?.status).toBe('RECORDED');
    expect((await store.listAudit('r1')).map((a) => [a.outcome, a.agent])).toEqual([['allowed', 'executor']]);
    const check = await verifyGrant(
      signer,
      recorded.grant,
      { runId: 'r1', stepIndex: 0, actionType: 'state.upsert' },
      new Date('2026-11-25T10:30:00Z'),
    );
    expect(check).toMatchObject({
      ok: true,
      grant: { agent: 'executor', actions: ['state.upsert'], workflow: 'scenario' },
    });
  });

  it('holds a step that needs approval, with no grant', async () => {
    const { store, executor } = await setup('email.send');
    const recorded = await executor.recordIntent('r1', 0, step('email.send'));
    expect(recorded).toMatchObject({ decision: 'needs-approval', grant: '' });
    expect((await store.getIntent('r1', 0))?.status).toBe('AWAITING_APPROVAL');
    expect((await store.listAudit('r1'))[0]?.outcome).toBe('needs-approval');
  });

  it('is safe to repeat: the same key and decision, one audit line', async () => {
    const { store, executor } = await setup('state.upsert');
    const first = await executor.recordIntent('r1', 0, step('state.upsert'));
    const second = await executor.recordIntent('r1', 0, step('state.upsert'));
    expect(second.idempotencyKey).toBe(first.idempotencyKey);
    expect(await store.listAudit('r1')).toHaveLength(1);
  });

  it('routes a model step to the run without recording, auditing or granting anything', async () => {
    const { store, executor } = await setup('state.upsert');
    const modelStep: PlanStep = {
      id: 'draft',
      title: 'Draft',
      action: { type: 'model.draft', params: {} },
      model: { prompt: 'Write it', rules: [], maxTokens: 100 },
    };
    const routed = await executor.recordIntent('r1', 1, modelStep);
    expect(routed).toMatchObject({ decision: 'model', grant: '', action: { type: 'model.draft' } });
    expect(await store.getIntent('r1', 1)).toBeUndefined();
    expect(await store.listAudit('r1')).toEqual([]);
    expect(await store.listJournal('r1')).toEqual([]);
  });

  it('refuses a step that is not the recorded plan’s', async () => {
    const { executor } = await setup('state.upsert');
    await expect(executor.recordIntent('r1', 0, { ...step('state.upsert'), id: 'other' })).rejects.toThrow(
      /not in the recorded plan/,
    );
  });

  it('reads the run and its plan once for all its steps, and no intent before recording it', async () => {
    const reads: string[] = [];
    const inner = createMemoryStateStore();
    const counted: StateStore = {
      ...inner,
      getRun: (runId) => {
        reads.push('run');
        return inner.getRun(runId);
      },
      getPlan: (runId) => {
        reads.push('plan');
        return inner.getPlan(runId);
      },
      getIntent: (runId, stepIndex) => {
        reads.push('intent');
        return inner.getIntent(runId, stepIndex);
      },
    };
    const steps = [0, 1, 2].map((i) => ({ ...step('state.upsert'), id: `s${i}` }));
    const { executor } = await setup('state.upsert', { steps, store: counted });
    for (const [i, s] of steps.entries()) {
      expect((await executor.recordIntent('r1', i, s)).decision).toBe('allow');
    }
    // The run's workflow, versions and plan are fixed once written: one read each for the run.
    expect(reads).toEqual(['run', 'plan']);
    expect((await inner.listIntents('r1')).map((i) => i.status)).toEqual([
      'RECORDED',
      'RECORDED',
      'RECORDED',
    ]);
  });

  it("writes a new intent and its decision's journal and audit entries in one commit", async () => {
    const inner = createMemoryStateStore();
    const writes: string[] = [];
    const counted: StateStore = { ...inner };
    for (const method of ['recordIntent', 'recordIntentWithLogs', 'appendJournal', 'appendAudit'] as const) {
      counted[method] = ((...args: unknown[]) => {
        writes.push(method);
        return (inner[method] as (...a: unknown[]) => unknown)(...args);
      }) as never;
    }
    const { executor } = await setup('state.upsert', { store: counted });
    await executor.recordIntent('r1', 0, step('state.upsert'));
    expect(writes).toEqual(['recordIntentWithLogs']);
    expect((await inner.listJournal('r1')).map((e) => e.kind)).toEqual(['decision']);
    expect((await inner.listAudit('r1')).map((a) => a.outcome)).toEqual(['allowed']);
  });

  it('logs the decision on the repeat of an intent recorded without its entries (by an older version, killed between them)', async () => {
    const inner = createMemoryStateStore();
    let older = true;
    const crashing: StateStore = {
      ...inner,
      // What a version that wrote the intent and its entries one by one left when killed between them.
      recordIntentWithLogs: async (intent, logs) => {
        if (!older) return inner.recordIntentWithLogs(intent, logs);
        older = false;
        await inner.recordIntent(intent);
        throw new Error('killed after the intent');
      },
    };
    const { executor } = await setup('state.upsert', { store: crashing });
    await expect(executor.recordIntent('r1', 0, step('state.upsert'))).rejects.toThrow(/killed/);
    expect((await inner.getIntent('r1', 0))?.status).toBe('RECORDED');
    expect(await inner.listJournal('r1')).toEqual([]);
    const again = await executor.recordIntent('r1', 0, step('state.upsert'));
    const third = await executor.recordIntent('r1', 0, step('state.upsert'));
    expect(third.idempotencyKey).toBe(again.idempotencyKey);
    // Written once each, at the intent's time, however often the step is recorded.
    const intent = await inner.getIntent('r1', 0);
    expect((await inner.listJournal('r1')).map((e) => [e.kind, e.at])).toEqual([
      ['decision', intent?.recordedAt],
    ]);
    expect((await inner.listAudit('r1')).map((a) => [a.outcome, a.at])).toEqual([
      ['allowed', intent?.recordedAt],
    ]);
  });
});
