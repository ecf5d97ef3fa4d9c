import { createDynamoDBStateStore } from '../functions/adapters/aws/dynamodb-state-store.ts';
import { createModelStepRunner } from '../functions/core/agents/model-step.ts';
import { createCatalog } from '../functions/core/catalog.ts';
import { fixedPlan } from '../functions/core/planner.ts';
import type { ModelPort, StateStore } from '../functions/core/ports.ts';
import type { PlanStep } from '../functions/core/schemas.ts';
import { startEmbeddedDynamoDB } from '../lib/local/embedded-dynamodb.ts';
import { TABLE_NAMES } from '../lib/local/table-definitions.ts';
import { createMemoryStateStore } from '../test/support/memory-state-store.ts';
import { median, ms, percentile } from './stats.ts';
import { renderTable } from './table.ts';

const STEPS = 60;
const WARM_UP = 5;

/** A model that answers at once, timing itself, so its own latency can be taken out of each step. */
function instantModel(answers: { draft: string; extract: string; check: string }) {
  let insideMs = 0;
  const model: ModelPort = {
    async converse(request) {
      const started = performance.now();
      const task = /^<task>(\w+)<\/task>/.exec(request.prompt)?.[1] as keyof typeof answers;
      const text = answers[task] ?? '';
      insideMs += performance.now() - started;
      return { text, modelId: `bench-${request.tier}`, inputTokens: 200, outputTokens: 80 };
    },
    priceUsd: () => 0.0001,
    modelFor: (tier) => `bench-${tier}`,
  };
  return {
    model,
    inside: () => insideMs,
    reset: () => {
      insideMs = 0;
    },
  };
}

const workflow = (kind: 'draft' | 'extract', tier: 'fast' | 'slow') => ({
  name: 'bench-model',
  version: 1,
  description: 'One model step.',
  allowedActions: ['model.draft', 'model.extract'],
  model: { tier },
  steps: [
    {
      id: 'step',
      title: 'The model step',
      action: kind === 'draft' ? 'model.draft' : 'model.extract',
      model: {
        prompt: 'Write a reminder for {{input.customerId}} about invoice {{input.invoiceId}}.',
        ...(kind === 'extract'
          ? {
              source: '{{input.message}}',
              output: {
                type: 'object',
                properties: { name: { type: 'string' }, email: { type: 'string' } },
                required: ['name', 'email'],
              },
            }
          : {}),
      },
    },
  ],
});

/** Per step: wall time of the model step minus the time spent inside the model. */
async function measure(
  store: StateStore,
  kind: 'draft' | 'extract',
  tier: 'fast' | 'slow',
): Promise<number[]> {
  const catalog = createCatalog([workflow(kind, tier)]);
  const wf = catalog.get('bench-model');
  if (!wf) throw new Error('the bench workflow did not load');
  const timer = instantModel({
    draft: 'Dear Acme, invoice acme-0001 is overdue.',
    extract: '{"name":"Ada","email":"ada@example.com"}',
    check: '{"ok":true,"reason":"fine"}',
  });
  const runner = createModelStepRunner({
    store,
    model: timer.model,
    catalog,
    clock: { now: () => new Date() },
  });
  const overheads: number[] = [];
  for (let i = 0; i < WARM_UP + STEPS; i += 1) {
    const runId = `bench-${kind}-${tier}-${i}-${Math.random().toString(16).slice(2, 8)}`;
    const now = new Date().toISOString();
    const run = {
      runId,
      workflow: 'bench-model',
      workflowVersion: 1,
      mode: 'live' as const,
      status: 'RUNNING' as const,
      input: { customerId: 'acme', invoiceId: 'acme-0001', message: 'name: Ada\nemail: ada@example.com' },
      budget: { maxUsd: 1, maxModelCalls: 10 },
      spentUsd: 0,
      modelCalls: 0,
      createdAt: now,
      updatedAt: now,
    };
    await store.createRun(run);
    const steps = fixedPlan(wf, run);
    await store.savePlan({ runId, steps, modelId: 'playbook', createdAt: now });
    timer.reset();
    const started = performance.now();
    const outcome = await runner.run(runId, 0, steps[0] as PlanStep);
    const wall = performance.now() - started;
    if (outcome.status !== 'done') throw new Error(`the bench step ended ${outcome.status}`);
    if (i >= WARM_UP) overheads.push(wall - timer.inside());
  }
  return overheads;
}

/** (g) What a model step costs beyond the model: intent, budget reservation and settlement, journal, validation. */
export async function modelStepsSection(say: (text?: string) => void): Promise<void> {
  say();
  say(
    `## (g) Model-step overhead per step, the model's own latency excluded (${STEPS} steps per row, after ${WARM_UP} warm-up)`,
  );
  say();
  const db = await startEmbeddedDynamoDB({ tables: [TABLE_NAMES.state] });
  try {
    const dynamo = createDynamoDBStateStore({ client: db.client, tableName: TABLE_NAMES.state });
    const rows: [string, number, number[]][] = [];
    rows.push([
      'draft, fast tier, in-memory store (the domain alone)',
      1,
      await measure(createMemoryStateStore(), 'draft', 'fast'),
    ]);
    rows.push([
      'draft, fast tier, embedded DynamoDB (local runtime)',
      1,
      await measure(dynamo, 'draft', 'fast'),
    ]);
    rows.push(['extract, fast tier, embedded DynamoDB', 1, await measure(dynamo, 'extract', 'fast')]);
    rows.push([
      'draft, slow tier + cross-check, embedded DynamoDB',
      2,
      await measure(dynamo, 'draft', 'slow'),
    ]);
    say(
      renderTable(
        [
          { header: 'model step' },
          { header: 'model calls', align: 'right' },
          { header: 'median ms', align: 'right' },
          { header: 'p90 ms', align: 'right' },
        ],
        rows.map(([name, calls, values]) => [
          name,
          String(calls),
          ms(median(values)),
          ms(percentile(values, 90)),
        ]),
      ),
    );
    say();
    say(
      'Each step writes its intent, reserves and settles the budget per call (conditional run updates), journals each call and ' +
        'records the output; no memory retrieval (it is measured in section (c)). On AWS add one Lambda invocation per step.',
    );
  } finally {
    await db.close();
  }
}
