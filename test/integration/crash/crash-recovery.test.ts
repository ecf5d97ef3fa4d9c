import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  callChild as call,
  kill9,
  startChildRuntime,
  waitForRuns as waitForAll,
} from '../../support/child-runtime.ts';
import { startWebhookServer, type WebhookServer } from '../../support/webhook-server.ts';

const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
const RUNS_PER_POINT = 3;

/** Starts a runtime process and resolves once it serves; `crashed` resolves when it reaches its crash point. */
const startChild = (dataDir: string, crashAt: string, crashOn = 1) =>
  startChildRuntime(CHILD, { DATA_DIR: dataDir, CRASH_AT: crashAt, CRASH_ON: String(crashOn) });

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
      expect(
        details.map((d) => d.run.status),
        details.map((d) => d.run.failure?.account ?? 'ok').join('\n'),
      ).toEqual(runIds.map(() => 'SUCCEEDED'));
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
