import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Handoff } from '../../../functions/core/agents/handoff.ts';
import type { ModelPort } from '../../../functions/core/ports.ts';
import type { RunDetails } from '../../../functions/core/runs-service.ts';
import { modelFromEnv } from '../../../lib/local/model-from-env.ts';
import type { LocalRuntime } from '../../../lib/local/runtime.ts';
import { runAios } from '../../support/aios-dev.ts';
import { api, startTestRuntime, waitForRun } from '../../support/local-runtime.ts';
import { draftThenSaveWorkflow } from './workflows.ts';

/** The offline model on every count but one: each call fails (not retryable), so the step is handed off. */
function failingModel(): ModelPort & { calls: number } {
  const offline = modelFromEnv({}).model;
  const model = {
    calls: 0,
    converse: async () => {
      model.calls += 1;
      throw new Error('model crashed');
    },
    priceUsd: offline.priceUsd.bind(offline),
    modelFor: offline.modelFor.bind(offline),
  };
  return model;
}

let runtime: LocalRuntime;
let dataDir: string;
const model = failingModel();
// The CLI finds the API token in the data dir, as against `aios dev`.
const aios = (args: string[]) =>
  runAios(args, { AIOS_DATA_DIR: dataDir, AIOS_API_URL: runtime.url, POWERTOOLS_LOG_LEVEL: 'ERROR' });

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'aios-handoff-cli-'));
  runtime = await startTestRuntime({ workflows: [draftThenSaveWorkflow()], dataDir, model });
});
afterAll(async () => {
  await runtime?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function handedOffRun(customerId: string) {
  const started = await api<{ runId: string }>(runtime, 'POST', '/runs', {
    workflow: 'draft-note',
    input: { customerId },
  });
  expect(started.status).toBe(202);
  const { runId } = started.body;
  const handoffId = `${runId}-h0`;
  // Listed once the run waits on its task token: completing it then answers the run.
  await until('the run to wait on its handoff', async () => {
    const { body } = await api<{ events: { type: string; stateName?: string }[] }>(
      runtime,
      'GET',
      `/runs/${runId}/history`,
    );
    return body.events.some((e) => e.type === 'TaskSubmitted' && e.stateName === 'Hand off to operator')
      ? true
      : undefined;
  });
  return { runId, handoffId };
}

describe('HandoffThroughHttpAndCli: a model that fails hands the step to the operator, who finishes it', () => {
  it('aios handoffs lists it; aios handoff complete --text finishes the run with the operator text', async () => {
    const { runId, handoffId } = await handedOffRun('acme');

    const listed = await aios(['handoffs']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(`${handoffId}  draft-note step 1 "Draft the note" (model.draft)`);
    expect(listed.stdout).toMatch(/why: .*model crashed/);
    const json = await aios(['handoffs', '--json']);
    expect((JSON.parse(json.stdout) as Handoff[]).find((h) => h.handoffId === handoffId)).toMatchObject({
      runId,
      status: 'PENDING',
      input: { customerId: 'acme' },
    });

    const note = 'Acme pays on the 5th; remind them gently.';
    const done = await aios(['handoff', 'complete', handoffId, '--text', note, '--by', 'ada']);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toBe(`Handoff ${handoffId} completed: run ${runId} goes on from step 1.\n`);

    const run = await waitForRun(runtime, runId);
    expect(run.run.status).toBe('SUCCEEDED');
    expect((await runtime.store.getEntity('customer', 'acme'))?.data).toMatchObject({ note });
    expect((await aios(['handoffs'])).stdout).not.toContain(handoffId);
    // A second completion is refused (409) and changes nothing.
    const again = await aios(['handoff', 'complete', handoffId, '--text', 'other']);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/completed already by ada/);
    expect((await runtime.store.getEntity('customer', 'acme'))?.data).toMatchObject({ note });
  });

  it('--file reads the output; the HTTP routes name the bad field (400) and an unknown id (404)', async () => {
    const { runId, handoffId } = await handedOffRun('globex');

    const shown = await api<{ handoff: Handoff }>(runtime, 'GET', `/handoffs/${handoffId}`);
    expect(shown).toMatchObject({
      status: 200,
      body: { handoff: { handoffId, runId, stepId: 'draft-note' } },
    });
    expect((await api(runtime, 'GET', '/handoffs/no-such-h0')).status).toBe(404);
    const empty = await api<{ message: string }>(runtime, 'POST', `/handoffs/${handoffId}/complete`, {});
    expect(empty.status).toBe(400);
    expect(empty.body.message).toMatch(/text/);
    const missing = await aios(['handoff', 'complete', 'no-such-h0', '--text', 'x']);
    expect(missing.code).toBe(4);

    const file = join(dataDir, 'note.txt');
    writeFileSync(file, 'Globex: new contact is Hank.');
    const done = await aios(['handoff', 'complete', handoffId, '--file', file, '--json']);
    expect(done.code, done.stderr).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({
      handoffId,
      status: 'COMPLETED',
      completion: { by: 'operator' },
    });
    const run: RunDetails = await waitForRun(runtime, runId);
    expect(run.run.status).toBe('SUCCEEDED');
    expect((await runtime.store.getEntity('customer', 'globex'))?.data).toMatchObject({
      note: 'Globex: new contact is Hank.',
    });
  });
});
