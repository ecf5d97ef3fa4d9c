import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunDetails } from '../../../functions/core/runs-service.ts';
import { modelFromEnv } from '../../../lib/local/model-from-env.ts';
import type { LocalRuntime } from '../../../lib/local/runtime.ts';
import { type ChildRuntime, callChild, kill9, startChildRuntime } from '../../support/child-runtime.ts';
import { startTestRuntime, waitForRun } from '../../support/local-runtime.ts';
import { draftThenSaveWorkflow } from './workflows.ts';

const CHILD = fileURLToPath(new URL('./handoff-child.ts', import.meta.url));

/** An OpenAI-compatible endpoint that throttles the first calls, then fails every call after. */
async function startFailingModel(throttled: number) {
  const calls: { model: string; status: number }[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      const status = calls.length < throttled ? 429 : 500;
      calls.push({ model: (JSON.parse(body) as { model: string }).model, status });
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: status === 429 ? 'slow down' : 'model crashed' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return { url, calls, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

let child: ChildRuntime | undefined;
let runtime: LocalRuntime | undefined;
let model: Awaited<ReturnType<typeof startFailingModel>> | undefined;
let dataDir: string | undefined;
afterEach(async () => {
  if (child) await kill9(child.process);
  await runtime?.close();
  await model?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  child = runtime = model = dataDir = undefined;
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

describe('a model that throttles, then fails', () => {
  it('ModelFailsThenHandoff: retries, falls to the other tier, hands the step to the operator; kill -9 while it waits loses nothing; completing it finishes the run', async () => {
    model = await startFailingModel(2);
    dataDir = mkdtempSync(join(tmpdir(), 'aios-handoff-'));
    const env = { AIOS_MODEL_URL: model.url, AIOS_MODEL_NAME: 'small', AIOS_MODEL_SLOW_NAME: 'large' };
    child = await startChildRuntime(CHILD, { DATA_DIR: dataDir, ...env });
    const { runId } = await callChild<{ runId: string }>(child, 'POST', '/runs', {
      workflow: 'draft-note',
      input: { customerId: 'acme' },
    });
    const running = child;
    const handedOff = await until('the handoff', async () => {
      const details = await callChild<RunDetails>(running, 'GET', `/runs/${runId}`);
      return details.journal.some((e) => e.kind === 'handoff') ? details : undefined;
    });
    // Three calls on the fast tier (two throttled, one failed), then three on the slow tier.
    expect(model.calls.map((c) => `${c.model}:${c.status}`)).toEqual([
      'small:429',
      'small:429',
      'small:500',
      'large:500',
      'large:500',
      'large:500',
    ]);
    expect(handedOff.journal.filter((e) => e.kind === 'model').map((e) => e.data?.tier)).toEqual([
      'fast',
      'fast',
      'fast',
      'slow',
      'slow',
      'slow',
    ]);
    await until('the run to wait on its handoff', async () => {
      const { events } = await callChild<{ events: { type: string; stateName?: string }[] }>(
        running,
        'GET',
        `/runs/${runId}/history`,
      );
      return events.some((e) => e.type === 'TaskSubmitted' && e.stateName === 'Hand off to operator')
        ? true
        : undefined;
    });

    await kill9(child.process);
    child = undefined;

    runtime = await startTestRuntime({
      workflows: [draftThenSaveWorkflow()],
      dataDir,
      model: modelFromEnv({ ...process.env, ...env }).model,
    });
    const rt = runtime;
    const [handoff] = await until('the handoff to be listed', async () => {
      const pending = await rt.handoffs.list();
      return pending.length > 0 ? pending : undefined;
    });
    expect(handoff).toMatchObject({
      runId,
      stepId: 'draft-note',
      kind: 'model.draft',
      status: 'PENDING',
      input: { customerId: 'acme' },
    });
    expect(handoff?.prompt).toContain('Write a one-line note for customer acme.');
    expect(handoff?.error).toMatch(/answered 500/);

    const note = 'Acme pays on the 5th; remind them gently.';
    await rt.handoffs.complete(handoff?.handoffId ?? '', { text: note, by: 'operator' });
    const done = await waitForRun(rt, runId);
    expect(done.run.status).toBe('SUCCEEDED');
    expect((await rt.store.getEntity('customer', 'acme'))?.data).toMatchObject({ note });
    expect(await rt.handoffs.list()).toEqual([]);
    // No model call after the handoff: the operator's text is the step's output.
    expect(model.calls).toHaveLength(6);
  });
});
