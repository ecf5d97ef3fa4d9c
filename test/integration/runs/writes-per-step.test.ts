import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCatalog } from '../../../functions/core/catalog.ts';
import { type LocalRuntime, startLocalRuntime } from '../../../lib/local/runtime.ts';
import { TABLE_NAMES } from '../../../lib/local/table-definitions.ts';
import { upsertWorkflow } from '../../support/upsert-workflow.ts';

const WRITES =
  /^(PutItem|UpdateItem|DeleteItem|BatchWriteItem|TransactWriteItems|Put|Update|Delete|BatchWrite|TransactWrite)Command$/;

const workflow = (steps: number) => upsertWorkflow(`w${steps}`, steps);

let runtime: LocalRuntime;
let counting = false;
const writes = new Map<string, number>();

beforeAll(async () => {
  runtime = await startLocalRuntime({
    port: 0,
    catalog: createCatalog([workflow(2), workflow(12)]),
    timeScale: 0.01,
  });
  runtime.db.client.middlewareStack.add(
    (next, context) => (args) => {
      if (counting && WRITES.test(context.commandName ?? '')) {
        // A transaction counts once, on the table of its first item (its items share one table here).
        const input = args.input as {
          TableName?: string;
          TransactItems?: Record<string, { TableName?: string }>[];
        };
        const first = input.TransactItems?.[0];
        const table = input.TableName ?? (first && Object.values(first)[0]?.TableName) ?? 'unknown';
        writes.set(table, (writes.get(table) ?? 0) + 1);
      }
      return next(args);
    },
    { step: 'initialize', name: 'countWrites' },
  );
});
afterAll(async () => {
  await runtime.close();
});

/** Write requests by table for one run of `steps` steps, start to end. */
async function writesOfRun(steps: number): Promise<Map<string, number>> {
  writes.clear();
  counting = true;
  const response = await fetch(`${runtime.url}/runs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${runtime.apiToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ workflow: `w${steps}`, input: {} }),
  });
  const { runId } = (await response.json()) as { runId: string };
  const execution = await runtime.stepFunctions.waitForExecution(runtime.executionArnFor(runId), 60_000);
  expect(execution.status).toBe('SUCCEEDED');
  // The last message's delete follows the answer that ended the run.
  await sleep(300);
  counting = false;
  return new Map(writes);
}

describe('store writes per durable step (one state.upsert step, the local runtime)', () => {
  it('one checkpoint, one commit per step boundary: about 12 write requests per step', async () => {
    await writesOfRun(2); // warm-up: the policy, the memory indexer's first rounds
    const short = await writesOfRun(2);
    const long = await writesOfRun(12);
    const perStep = (table?: string) => {
      const total = (run: Map<string, number>) =>
        table === undefined ? [...run.values()].reduce((a, b) => a + b, 0) : (run.get(table) ?? 0);
      return (total(long) - total(short)) / 10;
    };
    // The interpreter: one checkpoint per step, with the answer (the send needs none before it);
    // a page of history events rides in the same transaction. (2 before.) The slack: an answer
    // later than 1 s on a loaded machine commits the wait on its own.
    expect(perStep(TABLE_NAMES.executions)).toBeLessThanOrEqual(1.3);
    // The state table: the executor's intent with its entries, the gateway's claim and its result
    // with its entries, the entity's version with LATEST, the rate limiter's bucket and the
    // monitor's journal line: six requests, a transaction where one writes several items (10 before).
    expect(perStep(TABLE_NAMES.state)).toBeLessThanOrEqual(6.5);
    // Everything, the queue's message and the gateway's idempotency record included: 12 (19.4
    // before the step boundaries shared their commits); the slack for a redelivery under load.
    expect(perStep()).toBeLessThanOrEqual(13.5);
  });
});
