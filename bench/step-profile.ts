/**
 * Where the store requests of one durable step come from: runs an N-step state.upsert workflow
 * through the local runtime (as `aios dev` runs it) and prints the requests per step by operation,
 * table and key prefix. `npx tsx bench/step-profile.ts [steps]` (default 20).
 */
import './env.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createOfflineModel } from '../functions/adapters/local/offline-model.ts';
import { createCatalog } from '../functions/core/catalog.ts';
import { startLocalRuntime } from '../lib/local/runtime.ts';
import { upsertWorkflow } from '../test/support/upsert-workflow.ts';

type Attribute = string | { S?: string } | undefined;
type Input = {
  TableName?: string;
  Item?: Record<string, Attribute>;
  Key?: Record<string, Attribute>;
  KeyConditionExpression?: string;
  ExpressionAttributeValues?: Record<string, Attribute>;
  RequestItems?: Record<string, unknown[]>;
  TransactItems?: Record<string, Input>[];
};

const steps = Number(process.argv[2] ?? 20);
/** `RUN#abc` → `RUN`: the kind of item, not the item. */
const prefix = (value: Attribute) =>
  (typeof value === 'string' ? value : (value?.S ?? '')).replace(/[#:].*$/, '');

function keyOf(input: Input): string {
  const item = input.Item ?? input.Key;
  if (item) return `${prefix(item.pk ?? item.id)}/${prefix(item.sk)}`;
  if (input.KeyConditionExpression) return `query ${prefix(input.ExpressionAttributeValues?.[':pk'])}`;
  if (input.TransactItems)
    return input.TransactItems.map((member) =>
      Object.entries(member)
        .map(([kind, request]) => `${kind} ${keyOf(request)}`)
        .join(''),
    ).join(' + ');
  if (input.RequestItems)
    return Object.entries(input.RequestItems)
      .map(([table, requests]) => `${table} x${requests.length}`)
      .join(', ');
  return '';
}

const workflow = upsertWorkflow('profile', steps);
const dataDir = mkdtempSync(join(tmpdir(), 'aios-step-profile-'));
const runtime = await startLocalRuntime({
  dataDir,
  port: 0,
  model: createOfflineModel(),
  catalog: createCatalog([workflow]),
});
const counts = new Map<string, number>();
let counting = false;
runtime.db.client.middlewareStack.add(
  (next, context) => (args) => {
    if (counting) {
      const input = args.input as Input;
      const key = `${(context.commandName ?? '').replace(/Command$/, '')} ${input.TableName ?? ''} ${keyOf(input)}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return next(args);
  },
  { step: 'initialize', name: 'stepProfile' },
);

async function runOnce(): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${runtime.url}/runs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${runtime.apiToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ workflow: workflow.name, input: {} }),
  });
  const { runId } = (await response.json()) as { runId: string };
  const execution = await runtime.stepFunctions.waitForExecution(runtime.executionArnFor(runId), 600_000);
  if (execution.status !== 'SUCCEEDED') throw new Error(`run ${runId} ended ${execution.status}`);
  return performance.now() - started;
}

try {
  await runOnce(); // warm-up
  counting = true;
  const ms = await runOnce();
  await sleep(100); // the last message's delete
  counting = false;
  let total = 0;
  for (const [key, n] of [...counts.entries()].sort((a, b) => b[1] - a[1])) {
    total += n;
    process.stdout.write(`${(n / steps).toFixed(2).padStart(6)}  ${key}\n`);
  }
  process.stdout.write(
    `${(total / steps).toFixed(1)} requests and ${(ms / steps).toFixed(1)} ms per step (${steps}-step run, run-level work included)\n`,
  );
} finally {
  await runtime.close();
  rmSync(dataDir, { recursive: true, force: true });
}
