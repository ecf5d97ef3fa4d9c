import { afterEach, describe, expect, it } from 'vitest';
import { createCatalog } from '../../../functions/core/catalog.ts';
import type { ModelPort } from '../../../functions/core/ports.ts';
import { type LocalRuntime, startLocalRuntime } from '../../../lib/local/runtime.ts';
import { eventsInState } from '../../support/history.ts';
import { runToEnd } from '../../support/local-runtime.ts';
import { draftThenSaveWorkflow } from './workflows.ts';

// `onModelFailure: "defer"` through the local runtime: the model step gives up for now, the state
// machine's ModelDeferredError retry runs it again later (900 s, doubling, at most 4 times; scaled
// down here), and the run goes on when the model is back, or fails with an account when it never is.

/** Fails its first `failures` calls, then drafts; counts every call. */
function flakyModel(failures: number) {
  const calls: string[] = [];
  const model: ModelPort = {
    async converse(request) {
      calls.push(`test-${request.tier}`);
      if (calls.length <= failures)
        throw Object.assign(new Error('model endpoint answered 503'), { status: 503 });
      return {
        text: 'Acme pays on the 5th.',
        inputTokens: 10,
        outputTokens: 5,
        modelId: `test-${request.tier}`,
      };
    },
    priceUsd: () => 0,
    modelFor: (tier) => `test-${tier}`,
  };
  return { model, calls };
}

let runtime: LocalRuntime | undefined;
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
});

async function start(model: ModelPort, timeScale: number) {
  runtime = await startLocalRuntime({
    port: 0,
    catalog: createCatalog([draftThenSaveWorkflow({ model: { onModelFailure: 'defer' } })]),
    model,
    timeScale,
    pollIntervalMs: 20,
    modelRetry: { attempts: 1, baseDelayMs: 1 },
  });
  return runtime;
}

const deferredTries = (history: Awaited<ReturnType<typeof runToEnd>>['history']) =>
  eventsInState(history, 'Run model step').filter(
    (e) => e.type === 'TaskFailed' && e.details.error === 'ModelDeferredError',
  ).length;

describe('a model step whose workflow defers on model failure', () => {
  it('DeferThenSucceed: the step is deferred, retried later by the state machine, and the run goes on', {
    timeout: 90_000,
  }, async () => {
    // One try is a call per tier: the first try fails on both, the second drafts.
    const flaky = flakyModel(2);
    // 900 s becomes at most 9 s; the save step's action keeps a wait it can meet on a busy machine.
    const rt = await start(flaky.model, 0.01);
    const { details, history } = await runToEnd(rt, 'draft-note', { customerId: 'acme' }, 60_000);
    expect(details.run.failure).toBeUndefined();
    expect(details.run.status).toBe('SUCCEEDED');
    expect(deferredTries(history)).toBe(1);
    expect(details.journal.filter((e) => /deferred to a later retry/.test(e.message))).toHaveLength(1);
    expect(flaky.calls).toEqual(['test-fast', 'test-slow', 'test-fast']);
    expect((await rt.store.getEntity('customer', 'acme'))?.data).toMatchObject({
      note: 'Acme pays on the 5th.',
    });
    expect(await rt.handoffs.list()).toEqual([]);
  });

  it('DeferExhausted: a model that never comes back fails the run with an account after the fifth try', async () => {
    const flaky = flakyModel(Number.POSITIVE_INFINITY);
    // 900 s becomes at most 0.9 s, the longest of the four waits at most 7.2 s; no action ever runs.
    const rt = await start(flaky.model, 0.001);
    const { details, history } = await runToEnd(rt, 'draft-note', { customerId: 'acme' }, 90_000);
    expect(details.run.status).toBe('FAILED');
    expect(details.run.failure?.error).toBe('ModelDeferredError');
    expect(details.run.failure?.account).toMatch(/every deferred retry failed too/);
    // The first try and the four deferred retries, each on both tiers; nothing saved, nobody handed it.
    expect(deferredTries(history)).toBe(5);
    expect(flaky.calls).toHaveLength(10);
    expect(await rt.store.getEntity('customer', 'acme')).toBeUndefined();
    expect(await rt.handoffs.list()).toEqual([]);
  }, 120_000);
});
