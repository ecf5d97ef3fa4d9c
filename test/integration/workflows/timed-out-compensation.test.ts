import { afterEach, describe, expect, it } from 'vitest';
import type { OrchestratorCallbacks } from '../../../functions/core/ports.ts';
import { type LocalRuntime, startLocalRuntime } from '../../../lib/local/runtime.ts';
import { createCatalog } from '../../../playbooks/catalog.ts';
import { eventsInState, eventsOf } from '../../support/history.ts';
import { api, scenarioWorkflow, waitForRun } from '../../support/local-runtime.ts';
import { startWebhookServer, type WebhookServer } from '../../support/webhook-server.ts';

let runtime: LocalRuntime | undefined;
let hook: WebhookServer | undefined;

afterEach(async () => {
  await runtime?.close();
  await hook?.close();
  runtime = undefined;
  hook = undefined;
});

/** The second action answer the gateway sends never arrives: that step's task times out. */
function loseSecondAnswer(lost: string[]) {
  let answers = 0;
  return (callbacks: OrchestratorCallbacks): OrchestratorCallbacks => ({
    ...callbacks,
    async taskSucceeded(token, output) {
      answers += 1;
      if (answers === 2) {
        lost.push(token);
        return;
      }
      await callbacks.taskSucceeded(token, output);
    },
  });
}

describe('a run that times out after an effect', () => {
  it('is compensated when its playbook says so: the state.upsert made before the timed-out step is undone once', async () => {
    hook = await startWebhookServer();
    const lost: string[] = [];
    runtime = await startLocalRuntime({
      port: 0,
      catalog: createCatalog([scenarioWorkflow({ compensateOnFailure: true })]),
      // The action task's 900 s become 9 s.
      timeScale: 0.01,
      pollIntervalMs: 20,
      // No recovery tick: the timeout, not the sweep, decides this run.
      escalationIntervalMs: 3_600_000,
      decorateCallbacks: loseSecondAnswer(lost),
    });
    const started = await api<{ runId: string }>(runtime, 'POST', '/runs', {
      workflow: 'scenario',
      input: { hook: `${hook.url}/timeout` },
    });
    const { runId } = started.body;

    // The run record says FAILED from "Record failure" on; compensation runs after it.
    const arn = runtime.executionArnFor(runId);
    expect((await runtime.stepFunctions.waitForExecution(arn, 60_000)).status).toBe('FAILED');
    const details = await waitForRun(runtime, runId);

    expect(lost).toHaveLength(1);
    expect(details.run.status).toBe('FAILED');
    expect(details.run.failure?.error).toBe('States.Timeout');
    const history = await runtime.stepFunctions.getExecutionHistory(arn);
    expect(eventsOf(eventsInState(history, 'Execute action'), 'TaskTimedOut')).toHaveLength(1);
    expect(eventsOf(eventsInState(history, 'Execute compensation'), 'TaskSucceeded')).toHaveLength(1);
    const byStep = Object.fromEntries(details.intents.map((i) => [i.stepIndex, [i.status, i.action.type]]));
    // Step 1 saved the customer and is undone; step 2's webhook has no undo (http.request) and stays.
    expect(byStep).toEqual({
      0: ['COMPENSATED', 'state.upsert'],
      1: ['SUCCEEDED', 'http.request'],
      1000: ['SUCCEEDED', 'state.revert'],
    });
    expect(await runtime.store.getEntity('customer', 'acme')).toMatchObject({
      version: 2,
      data: { deleted: true },
    });
    const audit = (
      await api<{ entries: { stepIndex: number; outcome: string; actionType: string }[] }>(
        runtime,
        'GET',
        `/runs/${runId}/audit`,
      )
    ).body.entries;
    expect(audit.filter((a) => a.outcome === 'executed' && a.actionType === 'state.revert')).toHaveLength(1);
    expect(audit.filter((a) => a.outcome === 'compensated').map((a) => a.stepIndex)).toEqual([0]);
  }, 90_000);
});
