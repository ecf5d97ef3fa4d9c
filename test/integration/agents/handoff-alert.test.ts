import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCatalog } from '../../../functions/core/catalog.ts';
import type { ModelPort } from '../../../functions/core/ports.ts';
import { type LocalRuntime, startLocalRuntime } from '../../../lib/local/runtime.ts';
import { api, until, waitForRun } from '../../support/local-runtime.ts';
import { draftThenSaveWorkflow } from './workflows.ts';

// A handed-off step tells the operator once, on the alert channel (the local Slack outbox), with
// what the model could not do and how to write it; the retried task that opens the item again does
// not tell twice.

const downModel: ModelPort = {
  converse: async () => {
    throw Object.assign(new Error('model endpoint answered 500'), { name: 'ModelError' });
  },
  priceUsd: () => 0,
  modelFor: (tier) => `offline-${tier}`,
};

let runtime: LocalRuntime | undefined;
let dataDir: string | undefined;
afterEach(async () => {
  await runtime?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  runtime = dataDir = undefined;
});

const alertsIn = (dir: string) => {
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  // A message is written to a hidden temporary file and renamed into place: only the placed ones count.
  return names
    .filter((name) => !name.startsWith('.'))
    .map((name) => JSON.parse(readFileSync(join(dir, name), 'utf8')) as { channel: string; text: string })
    .filter((post) => post.channel === '#aios-alerts');
};

describe('a handoff tells the operator', () => {
  it('HandoffAlertedOnce: one alert when the item opens, none more when the task opens it again', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'aios-handoff-alert-'));
    const rt = await startLocalRuntime({
      port: 0,
      dataDir,
      catalog: createCatalog([draftThenSaveWorkflow()]),
      model: downModel,
      timeScale: 0.01,
      pollIntervalMs: 20,
      modelRetry: { attempts: 1, baseDelayMs: 1 },
    });
    runtime = rt;
    const outbox = join(dataDir, 'outbox', 'slack');
    const started = await api<{ runId: string }>(rt, 'POST', '/runs', {
      workflow: 'draft-note',
      input: { customerId: 'acme' },
    });
    const { runId } = started.body;
    const handoff = await until('the handoff', async () => (await rt.handoffs.list())[0]);
    const [alert] = await until('the alert', async () => {
      const sent = alertsIn(outbox);
      return sent.length > 0 ? sent : undefined;
    });
    expect(alert?.text).toContain(`Run ${runId} of draft-note needs you`);
    expect(alert?.text).toContain('Step 1 "Draft the note" (model.draft) waits for you');
    expect(alert?.text).toContain('model endpoint answered 500');
    expect(alert?.text).toContain(`aios handoff complete ${handoff.handoffId}`);

    // What a retried "Hand off to operator" task does: open the same item with the token it was given.
    const history = await rt.stepFunctions.getExecutionHistory(rt.executionArnFor(runId));
    const scheduled = history.find(
      (e) => e.type === 'TaskScheduled' && e.details.stateName === 'Hand off to operator',
    );
    if (!scheduled) throw new Error('the handoff task was never scheduled');
    const token = (scheduled.details.parameters as { Payload: { taskToken: string } }).Payload.taskToken;
    await rt.handoffs.open(runId, handoff.stepIndex, token);
    await rt.handoffs.open(runId, handoff.stepIndex, token);
    expect(alertsIn(outbox)).toHaveLength(1);

    await rt.handoffs.complete(handoff.handoffId, { text: 'Acme pays on the 5th.' });
    expect((await waitForRun(rt, runId)).run.status).toBe('SUCCEEDED');
    expect(alertsIn(outbox)).toHaveLength(1);
  });
});
