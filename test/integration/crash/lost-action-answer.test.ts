import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCatalog } from '../../../functions/core/catalog.ts';
import type { OrchestratorCallbacks } from '../../../functions/core/ports.ts';
import type { RunDetails } from '../../../functions/core/runs-service.ts';
import { TaskTimedOutError } from '../../../lib/local/asl/errors.ts';
import { ACTION_QUEUE, type LocalRuntime, startLocalRuntime } from '../../../lib/local/runtime.ts';
import { api, scenarioWorkflow, waitForRun } from '../../support/local-runtime.ts';
import { startWebhookServer, type WebhookServer } from '../../support/webhook-server.ts';

let hook: WebhookServer;
const dataDirs: string[] = [];
const runtimes: LocalRuntime[] = [];

beforeAll(async () => {
  hook = await startWebhookServer();
});
afterAll(async () => {
  for (const runtime of runtimes) await runtime.close().catch(() => undefined);
  await hook.close();
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * The fault of soak run 91ef370e, injected: the gateway makes the effect, records the intent
 * SUCCEEDED, answers the task token, and the orchestrator refuses the answer as "closed"
 * (TaskTimedOut, as the local interpreter raises it) although the execution still waits on that
 * very token. The gateway takes a closed token for an answer already given, so it deletes the
 * message: nothing is left to deliver again.
 */
function refuseFirstActionAnswer(refused: string[]) {
  return (callbacks: OrchestratorCallbacks): OrchestratorCallbacks => ({
    ...callbacks,
    async taskSucceeded(token, output) {
      if (refused.length === 0) {
        refused.push(token);
        // What the callbacks adapter reports for the TaskTimedOut the interpreter raised.
        const error = new TaskTimedOutError();
        return { outcome: 'closed' as const, error: error.name, reason: error.message };
      }
      return callbacks.taskSucceeded(token, output);
    },
  });
}

// The real timeouts (timeScale 1): the waiting task's 900 s must not decide the outcome.
async function start(
  dataDir: string,
  decorateCallbacks?: (c: OrchestratorCallbacks) => OrchestratorCallbacks,
) {
  const runtime = await startLocalRuntime({
    port: 0,
    dataDir,
    catalog: createCatalog([scenarioWorkflow()]),
    pollIntervalMs: 20,
    // Only the start-up pass: a tick's sweep must not be what this test sees.
    escalationIntervalMs: 3_600_000,
    ...(decorateCallbacks && { decorateCallbacks }),
  });
  runtimes.push(runtime);
  return runtime;
}

async function until(condition: () => Promise<boolean>, what: string) {
  const deadline = Date.now() + 30_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('an action whose answer never reached its run (soak run 91ef370e)', () => {
  it('effect made once, intent SUCCEEDED, message gone, run waiting: recovery answers the token the run waits on from the intent, and the action is not run again', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'aios-lost-answer-'));
    dataDirs.push(dataDir);
    const refused: string[] = [];
    const first = await start(dataDir, refuseFirstActionAnswer(refused));
    const started = await api<{ runId: string }>(first, 'POST', '/runs', {
      workflow: 'scenario',
      input: { hook: `${hook.url}/lost-answer` },
    });
    const { runId } = started.body;
    const arn = first.executionArnFor(runId);
    await until(async () => refused.length === 1, 'the refused answer');
    await until(async () => (await first.queue.list(ACTION_QUEUE)).length === 0, 'an empty queue');
    // Stranded: the execution waits on the very token whose answer was refused.
    expect((await first.stepFunctions.waitingTask(arn))?.token).toBe(refused[0]);
    // The wait for a sent message is committed with its answer or, without one, a moment later.
    await until(
      async () => (await first.stepFunctions.getExecutionHistory(arn)).at(-1)?.type === 'TaskSubmitted',
      'the wait committed',
    );
    const before = (await api<RunDetails>(first, 'GET', `/runs/${runId}`)).body;
    expect(before.intents.map((i) => [i.stepIndex, i.status])).toEqual([[0, 'SUCCEEDED']]);
    await first.close();

    const second = await start(dataDir);
    const details = await waitForRun(second, runId);
    expect(details.run.status, details.run.failure?.account).toBe('SUCCEEDED');
    const after = await second.stepFunctions.getExecutionHistory(arn);
    const actions = after.filter((e) => e.details.stateName === 'Execute action');
    // Each step submitted once and answered once: recovery answered step 1, nothing sent it again.
    expect(actions.filter((e) => e.type === 'TaskSubmitted')).toHaveLength(2);
    expect(actions.filter((e) => e.type === 'TaskSucceeded')).toHaveLength(2);
    expect(details.intents.map((i) => [i.stepIndex, i.status, i.attempts])).toEqual([
      [0, 'SUCCEEDED', 1],
      [1, 'SUCCEEDED', 1],
    ]);
    // The upsert happened once: the customer is at version 1, and the gateway audited one execution.
    expect(await second.store.getEntity('customer', 'acme')).toMatchObject({ version: 1 });
    const audit = (
      await api<{ entries: { stepIndex: number; outcome: string }[] }>(second, 'GET', `/runs/${runId}/audit`)
    ).body.entries;
    expect(audit.filter((a) => a.stepIndex === 0 && a.outcome === 'executed')).toHaveLength(1);
    expect(audit.filter((a) => a.stepIndex === 0 && a.outcome === 'replayed')).toHaveLength(0);
    expect(hook.deliveries.filter((d) => d.path === '/lost-answer')).toHaveLength(1);
  }, 90_000);
});
