import { describe, expect, it } from 'vitest';
import { createOfflineModel } from '../../../functions/adapters/local/offline-model.ts';
import { BudgetExceededError, MalformedPlanError } from '../../../functions/core/errors.ts';
import { createPlanner, parsePlan } from '../../../functions/core/planner.ts';
import { shippedCatalog } from '../../../playbooks/catalog.ts';
import { fixedClock, runFixture, scriptedModel } from '../../support/fixtures.ts';
import { createMemoryStateStore } from '../../support/memory-state-store.ts';

const onboarding = shippedCatalog.get('onboarding');
if (!onboarding) throw new Error('the onboarding playbook must ship');

describe('planner', () => {
  it('plans the onboarding playbook offline, filling templates from the input, and journals the model call', async () => {
    const store = createMemoryStateStore();
    const run = runFixture();
    await store.createRun(run);
    const planner = createPlanner({
      store,
      model: createOfflineModel(),
      catalog: shippedCatalog,
      clock: fixedClock(),
    });

    const plan = await planner.plan(run.runId);

    expect(plan.steps.map((s) => s.id)).toEqual([
      'create-customer',
      'notify-crm',
      'open-project',
      'draft-first-invoice',
      'send-first-invoice',
      'activate-customer',
    ]);
    expect(plan.steps[3]?.action.params).toMatchObject({ entityId: 'acme-0001', data: { amount: 1500 } });
    expect(plan.steps[4]?.action.params).toMatchObject({
      to: ['billing@acme.example'],
      subject: 'Your first invoice from us: acme-0001',
    });
    const journal = await store.listJournal(run.runId);
    expect(journal.map((e) => e.kind)).toEqual(['model', 'plan']);
    expect(journal[0]?.data).toMatchObject({ modelId: 'offline-planner', purpose: 'plan' });
    expect((await store.getRun(run.runId))?.modelCalls).toBe(1);
  });

  it('returns the saved plan on a retry without asking the model again', async () => {
    const store = createMemoryStateStore();
    const run = runFixture();
    await store.createRun(run);
    const model = scriptedModel(
      JSON.stringify({ steps: [{ id: 'a', title: 'A', action: { type: 'state.upsert', params: {} } }] }),
    );
    const planner = createPlanner({ store, model, catalog: shippedCatalog, clock: fixedClock() });
    await planner.plan(run.runId);
    await planner.plan(run.runId);
    expect(model.calls).toHaveLength(1);
  });

  it('rejects a malformed answer and saves no plan', async () => {
    const store = createMemoryStateStore();
    const run = runFixture();
    await store.createRun(run);
    const planner = createPlanner({
      store,
      model: scriptedModel('Sure! Here is a plan: step one...'),
      catalog: shippedCatalog,
      clock: fixedClock(),
    });
    await expect(planner.plan(run.runId)).rejects.toThrow(MalformedPlanError);
    expect(await store.getPlan(run.runId)).toBeUndefined();
  });

  it('steps down to the fast tier when the slow one would break the budget', async () => {
    const store = createMemoryStateStore();
    const run = runFixture({ budget: { maxUsd: 0.5, maxModelCalls: 5 } });
    await store.createRun(run);
    const text = JSON.stringify({
      steps: [{ id: 'a', title: 'A', action: { type: 'state.upsert', params: {} } }],
    });
    const model = scriptedModel(text, { slow: 1, fast: 0.0001 });
    await createPlanner({ store, model, catalog: shippedCatalog, clock: fixedClock() }).plan(run.runId);
    expect(model.calls).toEqual(['fast']);
  });

  it('stops before the call when even the fast tier is over budget, and when calls are used up', async () => {
    const store = createMemoryStateStore();
    await store.createRun(runFixture({ runId: 'r-usd' }));
    await store.createRun(runFixture({ runId: 'r-calls', modelCalls: 5 }));
    const model = scriptedModel('{}', { slow: 10, fast: 10 });
    const planner = createPlanner({ store, model, catalog: shippedCatalog, clock: fixedClock() });
    await expect(planner.plan('r-usd')).rejects.toThrow(BudgetExceededError);
    await expect(planner.plan('r-calls')).rejects.toThrow(/5 of its 5 model calls/);
    expect(model.calls).toEqual([]);
  });
});

describe('parsePlan', () => {
  it('accepts a fenced JSON answer', () => {
    const text =
      '```json\n{"steps":[{"id":"a","title":"A","action":{"type":"state.upsert","params":{}}}]}\n```';
    expect(parsePlan(text, onboarding)).toHaveLength(1);
  });

  it('names the bad field when the plan does not match the schema', () => {
    expect(() =>
      parsePlan('{"steps":[{"id":"a","action":{"type":"state.upsert","params":{}}}]}', onboarding),
    ).toThrow(/steps\.0\.title/);
  });

  it('refuses actions the workflow does not allow, so a model cannot widen the playbook', () => {
    const text = '{"steps":[{"id":"pay","title":"Pay","action":{"type":"payments.send","params":{}}}]}';
    expect(() => parsePlan(text, onboarding)).toThrow(/pay → payments\.send/);
  });

  it('refuses duplicate step ids', () => {
    const step = { id: 'a', title: 'A', action: { type: 'state.upsert', params: {} } };
    expect(() => parsePlan(JSON.stringify({ steps: [step, step] }), onboarding)).toThrow(
      /two steps with id a/,
    );
  });
});
