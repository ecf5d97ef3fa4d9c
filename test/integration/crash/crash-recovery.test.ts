import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunDetails } from '../../../functions/core/runs-service.ts';
import { startWebhookServer, type WebhookServer } from '../../support/webhook-server.ts';

const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
const RUNS_PER_POINT = 3;

interface Child {
  process: ChildProcess;
  url: string;
  token: string;
  crashed: Promise<string>;
}

/** Starts a runtime process and resolves once it serves; `crashed` resolves when it reaches its crash point. */
function startChild(dataDir: string, crashAt: string, crashOn = 1): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      CRASH_AT: crashAt,
      CRASH_ON: String(crashOn),
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    let crashedResolve: (point: string) => void = () => {};
    const crashed = new Promise<string>((r) => {
      crashedResolve = r;
    });
    let buffer = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      for (const line of buffer.split('\n').slice(0, -1)) {
        const [word, a, b] = line.split(' ');
        if (word === 'READY' && a && b) resolve({ process: child, url: a, token: b, crashed });
        if (word === 'CRASHPOINT' && a) crashedResolve(a);
      }
      buffer = buffer.slice(buffer.lastIndexOf('\n') + 1);
    });
    child.once('exit', (code, signal) => {
      if (signal !== 'SIGKILL' && code !== 0)
        reject(new Error(`runtime process exited ${code ?? signal}: ${stderr}`));
    });
  });
}

async function kill9(child: ChildProcess) {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

async function call<T>(child: Child, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${child.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${child.token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

async function waitForAll(child: Child, runIds: string[], timeoutMs = 45_000): Promise<RunDetails[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const details = await Promise.all(runIds.map((id) => call<RunDetails>(child, 'GET', `/runs/${id}`)));
    if (details.every((d) => d.run.status === 'SUCCEEDED' || d.run.status === 'FAILED')) return details;
    if (Date.now() > deadline) {
      throw new Error(
        `runs not finished: ${details.map((d) => `${d.run.runId}=${d.run.status}`).join(', ')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

let hook: WebhookServer;
const dirs: string[] = [];

beforeAll(async () => {
  hook = await startWebhookServer();
});
afterAll(async () => {
  await hook.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('crash recovery: SIGKILL mid-run, restart, nothing lost, nothing doubled', () => {
  // Each point is hit by the second of three concurrent runs' steps, so some work is in flight around it.
  it.each([
    ['intent', 'after the intent write'],
    ['enqueue', 'after the action is enqueued'],
    ['effect', "after the connector's effect, before it is recorded"],
    ['answer', 'after the effect is recorded, before the task success'],
  ])('killed at %s (%s): every run completes with one effect per intent', async (point) => {
    const dataDir = mkdtempSync(join(tmpdir(), `aios-crash-${point}-`));
    dirs.push(dataDir);
    const first = await startChild(dataDir, point, 2);
    const runIds: string[] = [];
    for (let i = 0; i < RUNS_PER_POINT; i += 1) {
      const started = await call<{ runId: string }>(first, 'POST', '/runs', {
        workflow: 'scenario',
        input: { hook: `${hook.url}/${point}`, customerId: `${point}-${i}` },
      });
      runIds.push(started.runId);
    }
    expect(await first.crashed).toBe(point);
    await kill9(first.process);

    const second = await startChild(dataDir, 'none');
    try {
      const details = await waitForAll(second, runIds);
      expect(details.map((d) => d.run.status)).toEqual(runIds.map(() => 'SUCCEEDED'));
      const hookIntents = details.flatMap((d) => d.intents.filter((i) => i.action.type === 'http.request'));
      expect(hookIntents).toHaveLength(RUNS_PER_POINT);
      const deliveredKeys = hook.deliveries
        .filter((d) => d.path === `/${point}`)
        .map((d) => d.idempotencyKey);
      // Every delivery carried its intent's key, and the provider applied exactly one effect per intent.
      expect(new Set(deliveredKeys)).toEqual(new Set(hookIntents.map((i) => i.idempotencyKey)));
      for (const intent of hookIntents) expect(hook.effects.has(intent.idempotencyKey)).toBe(true);
      // Killed between the effect and its record, the gateway really did call again: the key is what saved it.
      if (point === 'effect') expect(deliveredKeys.length).toBeGreaterThan(hookIntents.length);
      // State effects: each customer is written by exactly its two steps, versions 1 and 2, none doubled.
      for (const run of details) {
        expect(run.intents.map((intent) => intent.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
        expect(run.intents[0]?.result?.output).toMatchObject({ version: 1 });
        expect(run.intents[2]?.result?.output).toMatchObject({ version: 2 });
      }
    } finally {
      await kill9(second.process);
    }
  });
});
