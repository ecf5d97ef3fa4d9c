import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunDetails } from '../../../functions/core/runs-service.ts';
import type { Run } from '../../../functions/core/schemas.ts';
import type { LocalRuntime } from '../../../lib/local/runtime.ts';
import { startTestRuntime } from '../../support/local-runtime.ts';
import { startWebhookServer, type WebhookServer } from '../../support/webhook-server.ts';

const CHILD = fileURLToPath(new URL('./start-crash-child.ts', import.meta.url));

interface Server {
  url: string;
  token: string;
}

async function post(server: Server, body: unknown, key?: string) {
  const response = await fetch(`${server.url}/runs`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${server.token}`,
      'content-type': 'application/json',
      ...(key ? { 'idempotency-key': key } : {}),
    },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    replayed: response.headers.get('idempotent-replayed'),
    body: (await response.json()) as { runId: string; message?: string; issues?: { path: string }[] },
  };
}

async function get<T>(server: Server, path: string): Promise<T> {
  const response = await fetch(`${server.url}${path}`, {
    headers: { authorization: `Bearer ${server.token}` },
  });
  return (await response.json()) as T;
}

const listRuns = async (server: Server) => (await get<{ runs: Run[] }>(server, '/runs')).runs;

async function waitForEnd(server: Server, runId: string, timeoutMs = 30_000): Promise<RunDetails> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const details = await get<RunDetails>(server, `/runs/${runId}`);
    if (details.run.status === 'SUCCEEDED' || details.run.status === 'FAILED') return details;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${details.run.status}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** How many times the run's execution was started, from its own history. */
async function executionStarts(server: Server, runId: string) {
  const { events } = await get<{ events: { type: string }[] }>(server, `/runs/${runId}/history`);
  return events.filter((e) => e.type === 'ExecutionStarted').length;
}

let hook: WebhookServer;
beforeAll(async () => {
  hook = await startWebhookServer();
});
afterAll(() => hook.close());

const deliveriesTo = (path: string) => hook.deliveries.filter((d) => d.path === path);

describe('POST /runs with an Idempotency-Key, on the local runtime', () => {
  let runtime: LocalRuntime | undefined;
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
  });
  const server = () => ({ url: runtime?.url ?? '', token: runtime?.apiToken ?? '' });

  it('the same key twice: one run, one execution, one effect', async () => {
    runtime = await startTestRuntime();
    const body = { workflow: 'scenario', input: { hook: `${hook.url}/twice` } };
    const first = await post(server(), body, 'twice-1');
    const again = await post(server(), body, 'twice-1');
    expect(first).toMatchObject({ status: 202, replayed: null });
    expect(again).toMatchObject({ status: 200, replayed: 'true', body: { runId: first.body.runId } });

    const details = await waitForEnd(server(), first.body.runId);
    expect(details.run.status).toBe('SUCCEEDED');
    expect((await listRuns(server())).map((r) => r.runId)).toEqual([first.body.runId]);
    expect(await executionStarts(server(), first.body.runId)).toBe(1);
    expect(deliveriesTo('/twice')).toHaveLength(1);
  });

  it('the same key with another body: 422, and nothing is written or started', async () => {
    runtime = await startTestRuntime();
    const first = await post(
      server(),
      { workflow: 'scenario', input: { hook: `${hook.url}/other` } },
      'other-1',
    );
    await waitForEnd(server(), first.body.runId);
    const other = await post(
      server(),
      { workflow: 'scenario', input: { hook: `${hook.url}/other-2` } },
      'other-1',
    );
    expect(other.status).toBe(422);
    expect(other.body.message).toMatch(/already started run .* with a different request/);
    expect(await listRuns(server())).toHaveLength(1);
    expect(deliveriesTo('/other-2')).toHaveLength(0);
  });

  it('the execution start fails after the run is written: the retry with the key runs it, once', async () => {
    let failures = 1;
    runtime = await startTestRuntime({
      decorateOrchestrator: (orchestrator) => ({
        ...orchestrator,
        async startRun(runId) {
          if (failures-- > 0) throw new Error('injected: the orchestrator did not answer');
          await orchestrator.startRun(runId);
        },
      }),
    });
    const body = { workflow: 'scenario', input: { hook: `${hook.url}/injected` } };
    const failed = await post(server(), body, 'injected-1');
    expect(failed.status).toBe(500);
    const [stranded] = await listRuns(server());
    expect(stranded?.status).toBe('QUEUED');

    const retried = await post(server(), body, 'injected-1');
    expect(retried).toMatchObject({ status: 200, body: { runId: stranded?.runId } });
    expect((await waitForEnd(server(), stranded?.runId ?? '')).run.status).toBe('SUCCEEDED');
    expect(await listRuns(server())).toHaveLength(1);
    expect(await executionStarts(server(), stranded?.runId ?? '')).toBe(1);
    expect(deliveriesTo('/injected')).toHaveLength(1);
  });

  it('bad input: 400 naming every bad field, and no run and no claim are written', async () => {
    runtime = await startTestRuntime();
    const bad = await post(server(), { workflow: 'scenario', input: { hook: 'ftp://x', extra: 1 } }, 'bad-1');
    expect(bad.status).toBe(400);
    expect(bad.body.issues?.map((i) => i.path)).toEqual(['input.hook']);
    expect(await listRuns(server())).toEqual([]);
    // The key is still free: a corrected request with it starts a run.
    const good = await post(server(), { workflow: 'scenario', input: { hook: `${hook.url}/bad` } }, 'bad-1');
    expect(good.status).toBe(202);
  });
});

interface Child extends Server {
  process: ChildProcess;
  crashed: Promise<void>;
}

function startChild(dataDir: string, crashAt: string): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    env: { ...process.env, DATA_DIR: dataDir, CRASH_AT: crashAt, POWERTOOLS_LOG_LEVEL: 'ERROR' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    let crashedResolve = () => {};
    const crashed = new Promise<void>((r) => {
      crashedResolve = r;
    });
    let buffer = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      for (const line of buffer.split('\n').slice(0, -1)) {
        const [word, a, b] = line.split(' ');
        if (word === 'READY' && a && b) resolve({ process: child, url: a, token: b, crashed });
        if (word === 'CRASHPOINT') crashedResolve();
      }
      buffer = buffer.slice(buffer.lastIndexOf('\n') + 1);
    });
    child.once('exit', (code, signal) => {
      if (signal !== 'SIGKILL' && code !== 0)
        reject(new Error(`runtime exited ${code ?? signal}: ${stderr}`));
    });
  });
}

async function kill9(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

describe('SIGKILL between the run record and the execution start', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'aios-start-crash-'));
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const child of children) await kill9(child);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('the client retries with its key after the restart: the same run executes, once', async () => {
    const first = await startChild(dataDir, 'start');
    children.push(first.process);
    const body = { workflow: 'scenario', input: { hook: `${hook.url}/killed` } };
    // The first request never gets an answer: the process dies under it.
    const unanswered = post(first, body, 'killed-1').then(
      () => 'answered',
      () => 'connection lost',
    );
    await first.crashed;
    await kill9(first.process);
    expect(await unanswered).toBe('connection lost');

    const second = await startChild(dataDir, 'none');
    children.push(second.process);
    const retried = await post(second, body, 'killed-1');
    expect(retried.status).toBe(200);
    const runs = await listRuns(second);
    expect(runs.map((r) => r.runId)).toEqual([retried.body.runId]);
    expect((await waitForEnd(second, retried.body.runId)).run.status).toBe('SUCCEEDED');
    expect(await executionStarts(second, retried.body.runId)).toBe(1);
    expect(deliveriesTo('/killed')).toHaveLength(1);
  });
});
