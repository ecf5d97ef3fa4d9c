import './env.ts';
import { availableParallelism, cpus, release, totalmem, type } from 'node:os';
import { benchBundles } from './bundles.ts';
import { cliSection } from './cli.ts';
import { benchGateway, GATEWAY_BENCH_BATCH_SIZE } from './gateway.ts';
import { median, ms, percentile, ratio } from './stats.ts';
import { renderTable } from './table.ts';

const IMPORT_PROCESSES = 7;
const RUNS = 7;
const STEPS = 20;

const started = performance.now();
const say = (text = '') => process.stdout.write(`${text}\n`);

say('# aios benchmarks');
say();
say(
  `command: npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''} (tsx bench/run.ts)`,
);
say(
  `machine: node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'}, ${availableParallelism()} cores, ` +
    `${Math.round(totalmem() / 2 ** 30)} GiB, ${type()} ${release()}`,
);
say(
  'Medians over several runs; the machine is small and noisy, so read ratios rather than absolute numbers.',
);

// `npm run bench -- d` (or `-- a c`) runs only the named sections; no argument runs them all.
const SECTIONS: Record<string, () => Promise<void>> = {
  a: bundlesSection,
  b: orchestrationSection,
  c: async () => (await import('./memory.ts')).memorySection(say),
  d: gatewaySection,
  e: async () => (await import('./store-repair.ts')).storeRepairSection(say),
  f: () => cliSection(say),
  g: async () => (await import('./model-steps.ts')).modelStepsSection(say),
};
const wanted = process.argv.slice(2).map((arg) => arg.toLowerCase());
const unknown = wanted.filter((name) => !(name in SECTIONS));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown bench section(s): ${unknown.join(', ')}; choose from ${Object.keys(SECTIONS).join(', ')}\n`,
  );
  process.exit(2);
}
for (const [name, section] of Object.entries(SECTIONS)) {
  if (wanted.length === 0 || wanted.includes(name)) await section();
}

say();
say(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`);

async function bundlesSection() {
  say();
  say(`## (a) Lambda bundles: size and cold import (${IMPORT_PROCESSES} fresh node processes each)`);
  say();
  const report = await benchBundles(IMPORT_PROCESSES);
  const baseline = report.results.find((r) => r.name === report.baseline);
  if (!baseline) throw new Error('the empty baseline bundle was not measured');
  const baselineMedian = median(baseline.importMs);
  say(
    renderTable(
      [
        { header: 'bundle' },
        { header: 'bytes', align: 'right' },
        { header: 'KiB', align: 'right' },
        { header: 'median import ms', align: 'right' },
        { header: 'p90 import ms', align: 'right' },
        { header: 'x empty', align: 'right' },
      ],
      report.results.map((r) => [
        r.name,
        String(r.bytes),
        (r.bytes / 1024).toFixed(1),
        ms(median(r.importMs)),
        ms(percentile(r.importMs, 90)),
        ratio(median(r.importMs) / baselineMedian),
      ]),
    ),
  );
  say();
  say(
    '- Built with the esbuild options of lib/cloud/aios-function.ts: ESM, target node22, minify, source map',
  );
  say('  (size is index.mjs alone), createRequire banner, `@aws-sdk/*` external.');
  say('- (AWS SDK clients only) imports the five SDK clients the handlers use and nothing else: the part of');
  say('  a cold import that is the SDK rather than aios code.');
  say('- Import time is `await import(bundle)` inside a fresh node, after one discarded warm-up round; node');
  say('  start-up itself is not counted. Dummy values for every variable the handlers `requireEnv`.');
  say(`- On AWS the SDK comes from the Lambda runtime; here the \`@aws-sdk/*\` externals resolve from this`);
  say(
    `  project's node_modules, and loading them is part of the measured time. Locally node is ${process.version},`,
  );
  say('  on AWS it is Node.js 22 on arm64, so read the ratios, not the absolute times.');
  if (report.drift.length > 0)
    say(
      `- WARNING: lib/cloud/aios-function.ts no longer contains: ${report.drift.join('; ')}. Update bench/bundles.ts.`,
    );
}

async function orchestrationSection() {
  // Imported here, after the Powertools variables above are set.
  const { benchAios, benchLangGraph } = await import('./orchestration.ts');
  say();
  say(
    `## (b) Orchestration overhead per step: ${STEPS}-step workflow, durable, ${RUNS} runs each after a warm-up`,
  );
  say();
  const options = { runs: RUNS, steps: STEPS };
  const aios = await benchAios(options);
  const langGraph = await benchLangGraph(options, { durability: 'sync', connectorWrite: true });
  const langGraphAsync = await benchLangGraph(options, { durability: 'async', connectorWrite: true });
  const langGraphBare = await benchLangGraph(options, { durability: 'sync', connectorWrite: false });
  const rows = [aios, langGraph, langGraphAsync, langGraphBare];
  const perStep = (r: (typeof rows)[number]) => r.runMs.map((t) => t / r.steps);
  say(
    renderTable(
      [
        { header: 'engine' },
        { header: 'checkpointer / store' },
        { header: 'runs', align: 'right' },
        { header: 'median ms per run', align: 'right' },
        { header: 'median ms per step', align: 'right' },
        { header: 'p90 ms per step', align: 'right' },
        { header: 'writes per step', align: 'right' },
        { header: '1-step run ms', align: 'right' },
      ],
      rows.map((r) => [
        r.engine,
        r.store,
        String(r.runMs.length),
        ms(median(r.runMs)),
        ms(median(perStep(r)), 2),
        ms(percentile(perStep(r), 90), 2),
        (r.requests.writes / r.steps).toFixed(1),
        ms(r.oneStepRunMs),
      ]),
    ),
  );
  say();
  say(
    `aios / LangGraph.js (sync, same connector write), median per step: ${ratio(
      median(perStep(aios)) / median(perStep(langGraph)),
    )}`,
  );
  say(
    `marginal cost of one more step, (median ${STEPS}-step run - median 1-step run) / ${STEPS - 1}: aios ${ms(
      marginal(aios),
    )} ms, LangGraph.js (sync) ${ms(marginal(langGraph))} ms, ratio ${ratio(marginal(aios) / marginal(langGraph))}`,
  );
  say();
  say('What one step does on each side (do not compare unlike things silently):');
  say('- aios, per step, through the real local runtime and the same handlers and ASL file as on AWS: the');
  say(
    '  interpreter records each state transition as a history event and commits them with one write before',
  );
  say('  each call and when it waits; Record intent (conditional write with the idempotency key) -> Check');
  say(`  policy (decision recorded) -> Execute action: queue send (which wakes the gateway's worker), its`);
  say('  receive and delete, Powertools idempotency record,');
  say(
    '  the state.upsert connector (read + versioned write), the task-token answer -> Check outcome (monitor),',
  );
  say(
    '  journal entries. Per run also: run record, planner, summary (see the 1-step column). Poll intervals',
  );
  say("  as aios dev's; where each request comes from: `npx tsx bench/step-profile.ts`.");
  say(`  Writes per step by table: ${perTable(aios)}.`);
  say(`  Requests per step by operation: ${perOperation(aios)}.`);
  say('- LangGraph.js, per step: one node of a 20-node chain; with "connector write" the node runs the same');
  say(
    '  state.upsert connector against the same state table (read + versioned write, zod-parsed params), then',
  );
  say('  LangGraph stores the checkpoint and the pending writes of the node. No intent, policy, queue,');
  say('  idempotency record, monitor or journal. "sync" stores each checkpoint before the next node starts');
  say(`  (like aios); "async" is LangGraph's default and stores it while the next node runs.`);
  say(`  Writes per step by table (sync, connector write): ${perTable(langGraph)}.`);
  say('- Checkpointer: bench/dynamodb-checkpointer.ts, a BaseCheckpointSaver on the same embedded DynamoDB');
  say('  (dynalite, LevelDB on disk) as aios, in its own table: the same storage engine on both sides.');
  say('  @langchain/langgraph-checkpoint-sqlite was not used: its better-sqlite3 builds a native addon from');
  say('  source at install time (node-gyp and a C++ compiler), which a plain `npm ci` must not need.');
  say('- Wall time per run: aios from POST /runs to the execution SUCCEEDED (awaited, not polled);');
  say('  LangGraph from invoke() to its result. p90 is over runs (run time / steps).');
}

function marginal(result: { runMs: number[]; oneStepRunMs: number; steps: number }): number {
  return (median(result.runMs) - result.oneStepRunMs) / (result.steps - 1);
}

function perTable(result: { requests: { writesByTable: Readonly<Record<string, number>> }; steps: number }) {
  return Object.entries(result.requests.writesByTable)
    .sort(([, a], [, b]) => b - a)
    .map(([table, n]) => `${table} ${(n / result.steps).toFixed(1)}`)
    .join(', ');
}

function perOperation(result: {
  requests: { byOperation: Readonly<Record<string, number>> };
  steps: number;
}) {
  return Object.entries(result.requests.byOperation)
    .sort(([, a], [, b]) => b - a)
    .map(([op, n]) => `${op} ${(n / result.steps).toFixed(1)}`)
    .join(', ');
}

async function gatewaySection() {
  const actions = 200;
  const runs = 3;
  say();
  say(
    `## (d) Action gateway locally: ${actions} state.upsert actions, batches of ${GATEWAY_BENCH_BATCH_SIZE}, idempotency on, median of ${runs} runs`,
  );
  say();
  const cases = [
    { workers: 1, deliveries: 1 },
    { workers: 4, deliveries: 1 },
    { workers: 4, deliveries: 3 },
  ];
  const results = [];
  for (const testCase of cases) results.push(await benchGateway(actions, testCase, runs));
  say(
    renderTable(
      [
        { header: 'workers', align: 'right' },
        { header: 'deliveries per message', align: 'right' },
        { header: 'median actions/s', align: 'right' },
        { header: 'min actions/s', align: 'right' },
        { header: 'writes per action', align: 'right' },
        { header: 'requests per action', align: 'right' },
      ],
      results.map((r) => [
        String(r.workers),
        String(r.deliveries),
        median(r.actionsPerSecond).toFixed(1),
        Math.min(...r.actionsPerSecond).toFixed(1),
        r.writesPerAction.toFixed(1),
        r.requestsPerAction.toFixed(1),
      ]),
    ),
  );
  say();
  const first = results[0];
  if (first) {
    say(
      `- Writes per action by table (1 worker, 1 delivery): ${Object.entries(first.writesByTable)
        .map(([table, n]) => `${table} ${n.toFixed(1)}`)
        .join(', ')}.`,
    );
  }
  say(
    '- Per action: grant check (HMAC), Powertools idempotency record (in progress, then completed), run and',
  );
  say("  intent reads, rate-limit token and breaker check, intent EXECUTING then SUCCEEDED, the connector's");
  say(
    "  versioned write (history + latest), an audit line and a journal line, and the queue's receive + delete.",
  );
  say(
    '- With 3 deliveries per message the duplicates cost a grant check and an idempotency look-up each, and',
  );
  say('  never a second effect (see test/integration/gateway/exactly-once.test.ts).');
  say(
    '- The workers share one handler, as aios dev would: each invocation has its own batch processor, so every',
  );
  say(
    '  action is answered exactly once (the bench fails otherwise; concurrent-invocations.test.ts tests it).',
  );
  say(
    '- More local workers do not add throughput: one process, one CPU-bound embedded store. And each invocation',
  );
  say(
    '  must end within its 5 s timeout: on a busy CPU the records of 4 concurrent batches reach their effect',
  );
  say(
    '  too late, give up untouched, and come back after the 30 s visibility timeout, as they would on Lambda.',
  );
  say(
    '- On AWS the store is DynamoDB and each Lambda runs its own batch: read the ratios, not the absolute rates.',
  );
}
