import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../../functions/core/ports.ts';
import { ACTION_DLQ, ACTION_QUEUE, type LocalRuntime } from '../../../lib/local/runtime.ts';
import { api, startTestRuntime } from '../../support/local-runtime.ts';

let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime({ visibilityTimeoutSeconds: 1, maxReceiveCount: 2 });
});
afterAll(() => runtime.close());

async function until(check: () => Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('dead letters on the local runtime (aios dlq list | redrive)', () => {
  it('a poison message reaches the DLQ after maxReceiveCount, is listed without credentials, and is redriven', async () => {
    const poison = JSON.stringify({
      taskToken: 'secret-token',
      grant: 'secret-grant',
      runId: 'r-x',
      stepIndex: 2,
      action: { type: 'http.request' },
    });
    await runtime.queue.send(ACTION_QUEUE, poison);
    await until(async () => (await runtime.queue.list(ACTION_DLQ)).length === 1);

    const listed = await api<{ messages: DeadLetter[] }>(runtime, 'GET', '/dlq?limit=10');
    expect(listed.status).toBe(200);
    expect(listed.body.messages).toHaveLength(1);
    expect(listed.body.messages[0]).toMatchObject({ runId: 'r-x', stepIndex: 2, actionType: 'http.request' });
    expect(listed.body.messages[0]?.receiveCount).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(listed.body)).not.toMatch(/secret-token|secret-grant/);

    const redriven = await api<{ moved: number }>(runtime, 'POST', '/dlq/redrive', {});
    expect(redriven).toMatchObject({ status: 202, body: { moved: 1 } });
    expect((await runtime.queue.list(ACTION_DLQ)).length).toBe(0);
    // Still poison: it goes round again and lands back in the DLQ; nothing was executed.
    await until(async () => (await runtime.queue.list(ACTION_DLQ)).length === 1);
  });

  it('answers 400 for a bad limit', async () => {
    const response = await api<{ message: string }>(runtime, 'GET', '/dlq?limit=0');
    expect(response.status).toBe(400);
    expect(response.body.message).toMatch(/limit/);
  });
});
