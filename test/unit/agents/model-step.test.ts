import { describe, expect, it } from 'vitest';
import { createOfflineModel } from '../../../functions/adapters/local/offline-model.ts';
import { createModelStepRunner } from '../../../functions/core/agents/model-step.ts';
import { createHmacGrantSigner } from '../../../functions/core/capability.ts';
import { createCatalog } from '../../../functions/core/catalog.ts';
import { ModelCallError } from '../../../functions/core/errors.ts';
import { createExecutor } from '../../../functions/core/executor.ts';
import { fixedPlan } from '../../../functions/core/planner.ts';
import type { ModelPort, ModelRequest } from '../../../functions/core/ports.ts';
import type { OperatorPolicy } from '../../../functions/core/schemas.ts';
import { fixedClock, runFixture } from '../../support/fixtures.ts';
import { createMemoryStateStore } from '../../support/memory-state-store.ts';

const operator: OperatorPolicy = {
  byRisk: { read: 'allow', write: 'allow', 'external-message': 'allow', money: 'deny' },
  rules: [],
  approvers: { slackUserIds: [], emails: [] },
};

function workflow(overrides: Record<string, unknown> = {}, rules: string[] = []) {
  return {
    name: 'draft-note',
    version: 1,
    description: 'Draft, then save.',
    allowedActions: ['model.draft', 'state.upsert'],
    steps: [
      {
        id: 'draft',
        title: 'Draft',
        action: 'model.draft',
        model: { prompt: 'Note for {{input.customerId}}', rules },
      },
      {
        id: 'save',
        title: 'Save',
        action: 'state.upsert',
        params: { entityType: 'customer', entityId: 'acme', data: { note: '{{steps.draft.output.text}}' } },
      },
    ],
    ...overrides,
  };
}

/** A model double: answers per tier from a script of outcomes (text, or an error to throw). */
function scripted(outcomes: (string | Error)[], prices = { fast: 0, slow: 0 }) {
  const calls: ModelRequest[] = [];
  const model: ModelPort = {
    async converse(request) {
      calls.push(request);
      const next = outcomes.shift();
      if (next instanceof Error) throw next;
      return { text: next ?? '', modelId: `m-${request.tier}`, inputTokens: 100, outputTokens: 50 };
    },
    priceUsd: (modelId, input, output) =>
      ((modelId === 'm-slow' ? prices.slow : prices.fast) * (input + output)) / 1000,
    modelFor: (tier) => `m-${tier}`,
  };
  return { model, calls };
}

async function setup(
  raw: ReturnType<typeof workflow>,
  model: ModelPort,
  budget = { maxUsd: 1, maxModelCalls: 10 },
) {
  const store = createMemoryStateStore();
  const catalog = createCatalog([raw]);
  const wf = catalog.get('draft-note');
  if (!wf) throw new Error('no workflow');
  const run = runFixture({ runId: 'r1', workflow: 'draft-note', input: { customerId: 'acme' }, budget });
  await store.createRun(run);
  const steps = fixedPlan(wf, run);
  await store.savePlan({ runId: 'r1', steps, modelId: 'playbook', createdAt: 't' });
  const runner = createModelStepRunner({
    store,
    model,
    catalog,
    clock: fixedClock(),
    retry: { attempts: 2, baseDelayMs: 0 },
    sleep: async () => {},
  });
  const executor = createExecutor({
    store,
    catalog,
    clock: fixedClock(),
    operatorPolicy: async () => operator,
    riskOf: () => 'write',
    compensationOf: () => undefined,
    validateParams: () => undefined,
    signer: createHmacGrantSigner(async () => 's'.repeat(64)),
  });
  return { store, runner, executor, steps };
}

describe('model steps', () => {
  it('leaves {{steps.*}} in the fixed plan and keeps the step spec for execution time', async () => {
    const { steps } = await setup(workflow(), scripted([]).model);
    expect(steps[1]?.action.params).toEqual({
      entityType: 'customer',
      entityId: 'acme',
      data: { note: '{{steps.draft.output.text}}' },
    });
    expect(steps[0]?.model?.prompt).toBe('Note for {{input.customerId}}');
  });

  it('records the draft on the intent, once, and fills the next step from it', async () => {
    const { model, calls } = scripted(['Dear Acme']);
    const { store, runner, executor, steps } = await setup(workflow(), model);
    const first = await runner.run('r1', 0, steps[0] as never);
    expect(first).toMatchObject({ status: 'done', ok: true });
    expect(calls[0]?.prompt).toContain('<instructions>Note for acme</instructions>');
    // A retried invocation finds the output recorded and does not call the model again.
    await runner.run('r1', 0, steps[0] as never);
    expect(calls).toHaveLength(1);
    const intent = await store.getIntent('r1', 0);
    expect(intent).toMatchObject({ status: 'SUCCEEDED', result: { output: { text: 'Dear Acme' } } });
    const next = await executor.recordIntent('r1', 1, steps[1] as never);
    expect(next.action.params).toMatchObject({ data: { note: 'Dear Acme' } });
    expect((await store.getIntent('r1', 1))?.drafted).toEqual([
      { param: 'data.note', stepId: 'draft', text: 'Dear Acme' },
    ]);
  });

  it('retries a throttle with backoff, then falls to the other tier', async () => {
    const throttle = new ModelCallError('429', true);
    const { model, calls } = scripted([
      throttle,
      throttle,
      'from the slow tier',
      '{"ok":true,"reason":"fine"}',
    ]);
    const { runner, steps, store } = await setup(workflow(), model);
    const outcome = await runner.run('r1', 0, steps[0] as never);
    expect(outcome.status).toBe('done');
    expect(calls.map((c) => c.tier)).toEqual(['fast', 'fast', 'slow', 'slow']);
    expect((await store.getIntent('r1', 0))?.result?.output).toEqual({ text: 'from the slow tier' });
  });

  it('a refused request is not retried on the same tier', async () => {
    const refused = new ModelCallError('400 bad request', false);
    const { model, calls } = scripted([refused, refused]);
    const { runner, steps } = await setup(workflow(), model);
    expect((await runner.run('r1', 0, steps[0] as never)).status).toBe('handoff');
    expect(calls.map((c) => c.tier)).toEqual(['fast', 'slow']);
  });

  it('onModelFailure fail and defer raise the errors the orchestrator acts on', async () => {
    const down = () => new ModelCallError('503', true);
    for (const [policy, error] of [
      ['fail', 'ModelFailedError'],
      ['defer', 'ModelDeferredError'],
    ] as const) {
      const { model } = scripted([down(), down(), down(), down()]);
      const { runner, steps, store } = await setup(workflow({ model: { onModelFailure: policy } }), model);
      await expect(runner.run('r1', 0, steps[0] as never)).rejects.toMatchObject({ name: error });
      expect((await store.getIntent('r1', 0))?.status).toBe('RECORDED');
    }
  });

  it('reserves on the tier the workflow chose, not the most expensive one the budget allows', async () => {
    const { model, calls } = scripted(['draft'], { fast: 1, slow: 100 });
    const { runner, steps } = await setup(workflow(), model, { maxUsd: 1000, maxModelCalls: 10 });
    await runner.run('r1', 0, steps[0] as never);
    expect(calls.map((c) => c.tier)).toEqual(['fast']);
  });

  it('the slow tier cross-checks; a failed check holds the next external action for approval with the reason', async () => {
    const { model, calls } = scripted([
      'Dear Acme',
      '{"ok": false, "reason": "it does not name the invoice"}',
    ]);
    const { runner, executor, steps } = await setup(workflow({ model: { tier: 'slow' } }), model);
    const outcome = await runner.run('r1', 0, steps[0] as never);
    expect(outcome.note).toMatch(/cross-check failed \(it does not name the invoice\)/);
    expect(calls.map((c) => [c.tier, c.prompt.split('\n')[0]])).toEqual([
      ['slow', '<task>draft</task>'],
      ['slow', '<task>check</task>'],
    ]);
    const next = await executor.recordIntent('r1', 1, steps[1] as never);
    expect(next).toMatchObject({
      decision: 'needs-approval',
      reason: 'the cross-check of step 1 draft failed: it does not name the invoice',
      grant: '',
    });
  });

  it('a passed cross-check lets the next action run under the usual policy', async () => {
    const { model } = scripted(['Dear Acme', '{"ok": true, "reason": "fine"}']);
    const { runner, executor, steps } = await setup(workflow({ model: { tier: 'slow' } }), model);
    await runner.run('r1', 0, steps[0] as never);
    expect((await executor.recordIntent('r1', 1, steps[1] as never)).decision).toBe('allow');
  });

  it('the offline checker fails a rule the draft breaks', async () => {
    const { runner, executor, steps } = await setup(
      workflow({ model: { tier: 'slow' } }, ['must mention "invoice {{input.customerId}}-7"']),
      createOfflineModel(),
    );
    await runner.run('r1', 0, steps[0] as never);
    expect((await executor.recordIntent('r1', 1, steps[1] as never)).reason).toBe(
      'the cross-check of step 1 draft failed: the draft does not mention "invoice acme-7"',
    );
  });
});
