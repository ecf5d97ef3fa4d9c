import './env.ts';
import { availableParallelism, cpus, release, totalmem, type } from 'node:os';
import { bundlesSection } from './bundles-section.ts';
import { cliSection } from './cli.ts';
import { benchGateway, GATEWAY_BENCH_BATCH_SIZE, type GatewayBenchResult } from './gateway.ts';
import { atLeast, atMost, type Bench, createBench, renderSummary } from './report.ts';
import { median, ms, percentile, ratio } from './stats.ts';
import { renderTable } from './table.ts';
import { testSuiteSection } from './test-suite-section.ts';
import { transitionsSection } from './transitions-section.ts';

const STEPS = 20;

// `npm run bench -- d` (or `-- a c`) runs only the named sections; no letter runs them all, and
// `--quick` runs the ones that measure an issue-15 goal, with fewer rounds. `--json` prints the
// summary figures as JSON on stdout (the details go to stderr).
const args = process.argv.slice(2).map((arg) => arg.toLowerCase());
const quick = args.includes('--quick');
const json = args.includes('--json');
const bench = createBench({ quick, json });
const started = performance.now();

const SECTIONS: Record<string, (bench: Bench) => Promise<void>> = {
  a: bundlesSection,
  b: orchestrationSection,
  c: async (b) => (await import('./memory.ts')).memorySection(b.say),
  d: gatewaySection,
  e: async (b) => (await import('./store-repair.ts')).storeRepairSection(b.say),
  f: (b) => cliSection(b.say),
  g: async (b) => (await import('./model-steps.ts')).modelStepsSection(b.say),
  t: transitionsSection,
  n: testSuiteSection,
};
/** What `--quick` runs: the sections with a figure held to a goal of issue 15. */
const QUICK = ['a', 'b', 'd', 't'];
const unknownFlags = args.filter((arg) => arg.startsWith('-') && arg !== '--quick' && arg !== '--json');
const wanted = args.filter((arg) => !arg.startsWith('-'));
const unknown = [...unknownFlags, ...wanted.filter((name) => !(name in SECTIONS))];
if (unknown.length > 0) {
  process.stderr.write(
    `unknown bench section(s) or flag(s): ${unknown.join(', ')}; choose from ${Object.keys(SECTIONS).join(', ')}, --quick, --json\n`,
  );
  process.exit(2);
}
/** Only when named: it runs the whole test suite, minutes on this machine. */
const ON_REQUEST = ['n'];
const selected =
  wanted.length > 0 ? wanted : quick ? QUICK : Object.keys(SECTIONS).filter((s) => !ON_REQUEST.includes(s));

bench.say('# aios benchmarks');
bench.say();
bench.say(`command: npm run bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''} (tsx bench/run.ts)`);
bench.say(
  `machine: node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'}, ${availableParallelism()} cores, ` +
    `${Math.round(totalmem() / 2 ** 30)} GiB, ${type()} ${release()}`,
);
bench.say(
  'Medians over several runs; the machine is small and noisy, so read ratios rather than absolute numbers.',
);
// A section that throws is reported in the summary, and the others still run; the exit code says so.
const failed: string[] = [];
for (const [name, section] of Object.entries(SECTIONS)) {
  if (!selected.includes(name)) continue;
  try {
    await section(bench.forSection(name));
  } catch (error) {
    failed.push(name);
    const message = (error as Error).message ?? String(error);
    bench.say(`\nsection (${name}) FAILED: ${message}`);
    bench.forSection(name).figure({ name: `FAILED: ${message.slice(0, 120)}`, value: Number.NaN, unit: '' });
  }
}
if (failed.length > 0) process.exitCode = 1;

const seconds = Math.round((performance.now() - started) / 1000);
if (json) {
  process.stdout.write(
    `${JSON.stringify({ sections: selected, quick, seconds, figures: bench.figures }, null, 2)}\n`,
  );
} else {
  bench.say();
  bench.say('## Summary: every figure next to its goal and peer');
  bench.say();
  bench.say(renderSummary(bench.figures));
  bench.say();
  bench.say(`done in ${seconds} s`);
}

async function orchestrationSection(bench: Bench) {
  const RUNS = bench.quick ? 3 : 7;
  // Imported here, after the Powertools variables above are set.
  const { benchAios, benchLangGraph, storeFloors } = await import('./orchestration.ts');
  bench.say();
  bench.say(
    `## (b) Orchestration overhead per step: ${STEPS}-step workflow, durable, ${RUNS} runs each after a warm-up`,
  );
  bench.say();
  const options = { runs: RUNS, steps: STEPS };
  const aios = await benchAios(options);
  const langGraph = await benchLangGraph(options, { durability: 'sync', connectorWrite: true });
  const langGraphAsync = await benchLangGraph(options, { durability: 'async', connectorWrite: true });
  const langGraphBare = await benchLangGraph(options, { durability: 'sync', connectorWrite: false });
  const rows = [aios, langGraph, langGraphAsync, langGraphBare];
  const perStep = (r: (typeof rows)[number]) => r.runMs.map((t) => t / r.steps);
  bench.say(
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
  bench.say();
  bench.say(
    `aios / LangGraph.js (sync, same connector write), median per step: ${ratio(
      median(perStep(aios)) / median(perStep(langGraph)),
    )}`,
  );
  bench.say(
    `marginal cost of one more step, (median ${STEPS}-step run - median 1-step run) / ${STEPS - 1}: aios ${ms(
      marginal(aios),
    )} ms, LangGraph.js (sync) ${ms(marginal(langGraph))} ms, ratio ${ratio(marginal(aios) / marginal(langGraph))}`,
  );
  const floors = await storeFloors(aios, langGraph);
  const floorPerStep = (r: { ms: number }, steps: number) => r.ms / steps;
  bench.say(
    `store floor (the last run's requests again, one after another, on a fresh dynalite on disk, no engine; median of 3): aios ${(
      floors.aios.requests / aios.steps
    ).toFixed(1)} requests -> ${ms(floorPerStep(floors.aios, aios.steps), 2)} ms per step (${ms(
      floors.aios.ms / floors.aios.requests,
      2,
    )} ms a request); LangGraph.js (sync) ${(floors.langGraph.requests / langGraph.steps).toFixed(1)} requests -> ${ms(
      floorPerStep(floors.langGraph, langGraph.steps),
      2,
    )} ms per step. Store floors' ratio ${ratio(
      floorPerStep(floors.aios, aios.steps) / floorPerStep(floors.langGraph, langGraph.steps),
    )}; aios's engine over its own floor ${ms(median(perStep(aios)) - floorPerStep(floors.aios, aios.steps), 2)} ms per step.`,
  );
  // Goal 3's lower bound: an engine that cost nothing beside the store would still pay for these requests.
  const floorOverPeer = floorPerStep(floors.aios, aios.steps) / median(perStep(langGraph));
  const memoryFloorOverPeer = floorPerStep(floors.aiosInMemory, aios.steps) / median(perStep(langGraph));
  bench.say(
    `aios's requests alone, with no engine: on disk ${ms(floorPerStep(floors.aios, aios.steps), 2)} ms per step, in memory (no LevelDB) ${ms(
      floorPerStep(floors.aiosInMemory, aios.steps),
      2,
    )} ms per step, against LangGraph.js's whole step (sync) ${ms(median(perStep(langGraph)), 2)} ms: ${ratio(floorOverPeer)} and ${ratio(
      memoryFloorOverPeer,
    )}. Above 1x, no engine that makes these requests can reach goal 3 on this store.`,
  );
  bench.say();
  bench.say('What one step does on each side (do not compare unlike things silently):');
  bench.say(
    '- aios, per step, through the real local runtime and the same handlers and ASL file as on AWS: the',
  );
  bench.say(
    '  interpreter records each state transition as a history event and commits them with one write before',
  );
  bench.say(
    "  each call that carries a token or follows a call not named replay-safe, when it waits (a sent message's",
  );
  bench.say(
    '  wait with its answer) and at the end; Record intent (conditional write with the idempotency key) -> Check',
  );
  bench.say(
    `  policy (decision recorded) -> Execute action: queue send (which wakes the gateway's worker), its`,
  );
  bench.say('  receive and delete, Powertools idempotency record,');
  bench.say(
    '  the state.upsert connector (read + versioned write), the task-token answer -> Check outcome (monitor),',
  );
  bench.say(
    '  journal entries. Per run also: run record, planner, summary (see the 1-step column). Poll intervals',
  );
  bench.say("  as aios dev's; where each request comes from: `npx tsx bench/step-profile.ts`.");
  bench.say(`  Writes per step by table: ${perTable(aios)}.`);
  bench.say(`  Requests per step by operation: ${perOperation(aios)}.`);
  bench.say(
    '- LangGraph.js, per step: one node of a 20-node chain; with "connector write" the node runs the same',
  );
  bench.say(
    '  state.upsert connector against the same state table (read + versioned write, zod-parsed params), then',
  );
  bench.say(
    '  LangGraph stores the checkpoint and the pending writes of the node. No intent, policy, queue,',
  );
  bench.say(
    '  idempotency record, monitor or journal. "sync" stores each checkpoint before the next node starts',
  );
  bench.say(`  (like aios); "async" is LangGraph's default and stores it while the next node runs.`);
  bench.say(`  Writes per step by table (sync, connector write): ${perTable(langGraph)}.`);
  bench.say(
    '- Checkpointer: bench/dynamodb-checkpointer.ts, a BaseCheckpointSaver on the same embedded DynamoDB',
  );
  bench.say(
    '  (dynalite, LevelDB on disk) as aios, in its own table: the same storage engine on both sides.',
  );
  bench.say(
    '  @langchain/langgraph-checkpoint-sqlite was not used: its better-sqlite3 builds a native addon from',
  );
  bench.say('  source at install time (node-gyp and a C++ compiler), which a plain `npm ci` must not need.');
  bench.say('- Wall time per run: aios from POST /runs to the execution SUCCEEDED (awaited, not polled);');
  bench.say('  LangGraph from invoke() to its result. p90 is over runs (run time / steps).');

  // Issue 15, goal 3 (perfr owns what is measured here; these rows only report it).
  const stepRatio = median(perStep(aios)) / median(perStep(langGraph));
  bench.figure({
    name: 'local runtime: ms per durable step / LangGraph.js (sync, same store)',
    value: stepRatio,
    unit: 'x',
    ...atMost(stepRatio, 1, 'x'),
    peer: `aios ${ms(median(perStep(aios)), 2)} ms, LangGraph.js ${ms(median(perStep(langGraph)), 2)} ms`,
  });
  const floorRatio = floorPerStep(floors.aios, aios.steps) / floorPerStep(floors.langGraph, langGraph.steps);
  bench.figure({
    name: 'local runtime: the store alone for its requests per step / for LangGraph.js (sync)',
    value: floorRatio,
    unit: 'x',
    peer: `aios ${ms(floorPerStep(floors.aios, aios.steps), 2)} ms (${(
      floors.aios.requests / aios.steps
    ).toFixed(1)} requests), LangGraph.js ${ms(floorPerStep(floors.langGraph, langGraph.steps), 2)} ms (${(
      floors.langGraph.requests / langGraph.steps
    ).toFixed(1)})`,
  });
  bench.figure({
    name: "local runtime: aios's requests alone (no engine) per step / LangGraph.js's whole step",
    value: floorOverPeer,
    unit: 'x',
    peer: `in memory, no LevelDB: ${ratio(memoryFloorOverPeer)}; goal 3 is out of reach while this is above 1x`,
  });
  const writesPerStep = aios.requests.writes / aios.steps;
  bench.figure({
    name: 'local runtime: store writes per durable step',
    value: writesPerStep,
    unit: '',
    ...atMost(writesPerStep, 10),
    peer: `LangGraph.js ${(langGraph.requests.writes / langGraph.steps).toFixed(1)}`,
  });
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

async function gatewaySection(bench: Bench) {
  // Fewer with --quick, which must finish in 3 minutes on a busy machine: 4 workers with 3 deliveries
  // of 200 actions took half of it alone.
  const actions = bench.quick ? 100 : 200;
  // Rounds, each running every case once in turn, forwards then backwards: a ratio of cases is
  // taken within a round, so a change of load between cases (the machine is shared, and its speed
  // drifts by a quarter from minute to minute) moves both sides of it, and a steady drift cancels
  // over a pair of rounds. Five: with three, one slow moment still decided the median ratio.
  const rounds = 5;
  bench.say();
  bench.say(
    `## (d) Action gateway locally: ${actions} state.upsert actions, batches of ${GATEWAY_BENCH_BATCH_SIZE}, idempotency on, median of ${rounds} rounds of the cases in turn`,
  );
  bench.say();
  const cases = [
    { workers: 1, deliveries: 1 },
    { workers: 4, deliveries: 1 },
    { workers: 4, deliveries: 3 },
  ];
  // Unmeasured: the first run in a process pays for loading and compiling the code it runs (about
  // twice the CPU per action of the same run after it), and that was the one-worker case's cost alone.
  await benchGateway(actions, { workers: 1, deliveries: 1 }, 1);
  const results: GatewayBenchResult[] = [];
  for (let round = 0; round < rounds; round += 1)
    for (const [i, testCase] of round % 2 === 0 ? [...cases.entries()] : [...cases.entries()].reverse()) {
      const run = await benchGateway(actions, testCase, 1);
      const soFar = results[i];
      results[i] = soFar
        ? {
            ...run,
            actionsPerSecond: [...soFar.actionsPerSecond, ...run.actionsPerSecond],
            cpuMsPerAction: [...soFar.cpuMsPerAction, ...run.cpuMsPerAction],
            storeRequestsPerSecond: [...soFar.storeRequestsPerSecond, ...run.storeRequestsPerSecond],
          }
        : run;
    }
  bench.say(
    renderTable(
      [
        { header: 'workers', align: 'right' },
        { header: 'deliveries per message', align: 'right' },
        { header: 'median actions/s', align: 'right' },
        { header: 'min actions/s', align: 'right' },
        { header: 'CPU ms per action', align: 'right' },
        { header: 'writes per action', align: 'right' },
        { header: 'requests per action', align: 'right' },
      ],
      results.map((r) => [
        String(r.workers),
        String(r.deliveries),
        median(r.actionsPerSecond).toFixed(1),
        Math.min(...r.actionsPerSecond).toFixed(1),
        median(r.cpuMsPerAction).toFixed(2),
        r.writesPerAction.toFixed(1),
        r.requestsPerAction.toFixed(1),
      ]),
    ),
  );
  bench.say();
  // Issue 15, goal 4 (perfr owns what is measured here; these rows only report it).
  const one = results.find((r) => r.workers === 1 && r.deliveries === 1);
  const four = results.find((r) => r.workers === 4 && r.deliveries === 1);
  if (one) {
    const rate = median(one.actionsPerSecond);
    bench.figure({
      name: 'gateway locally, 1 worker, idempotency on',
      value: rate,
      unit: 'actions/s',
      ...atLeast(rate, 200, 'actions/s'),
    });
    if (four) {
      const scaling = median(
        four.actionsPerSecond.map((perSecond, round) => perSecond / (one.actionsPerSecond[round] ?? rate)),
      );
      bench.figure({
        name: 'gateway locally, 4 workers / 1 worker',
        value: scaling,
        unit: 'x',
        ...atLeast(scaling, 1, 'x'),
        peer: `4 workers ${median(four.actionsPerSecond).toFixed(1)} actions/s`,
      });
    }
  }
  const first = results[0];
  if (first) {
    // The floor: the same store's plain requests, five at a time, divided by what an action needs.
    const storeRate = median(first.storeRequestsPerSecond);
    const ceiling = storeRate / first.requestsPerAction;
    bench.say(
      `- The store alone: ${storeRate.toFixed(0)} plain requests/s (five at a time), so at ${first.requestsPerAction.toFixed(1)} requests per action no gateway on it passes ${ceiling.toFixed(0)} actions/s with one worker.`,
    );
    bench.figure({
      name: 'gateway ceiling set by the store (1 worker)',
      value: ceiling,
      unit: 'actions/s',
      peer: `${storeRate.toFixed(0)} store requests/s ÷ ${first.requestsPerAction.toFixed(1)} requests per action`,
    });
    bench.say(
      `- Writes per action by table (1 worker, 1 delivery): ${Object.entries(first.writesByTable)
        .map(([table, n]) => `${table} ${n.toFixed(1)}`)
        .join(', ')}.`,
    );
  }
  bench.say(
    '- Per action: grant check (HMAC), Powertools idempotency record (in progress, then completed), the',
  );
  bench.say(
    "  intent, its run and the breaker read together, rate-limit token (a batch's records share one put),",
  );
  bench.say("  intent EXECUTING then SUCCEEDED, the connector's");
  bench.say(
    "  versioned write (history + latest), an audit line and a journal line, and the queue's receive + delete",
  );
  bench.say('  (a batch is claimed in one transaction and deleted in one).');
  bench.say(
    '- With 3 deliveries per message the duplicates cost a grant check each, an idempotency look-up only when',
  );
  bench.say(
    '  another process finished the action (Powertools caches completed records), and never a second effect',
  );
  bench.say('  (see test/integration/gateway/exactly-once.test.ts).');
  bench.say(
    '- W workers: one queue worker with W invocations at once, fed by its one receiver, so they never race for',
  );
  bench.say(
    '  the same messages and each batch is the oldest left. They share one handler: each invocation has its own batch processor, so every',
  );
  bench.say(
    '  action is answered exactly once (the bench fails otherwise; concurrent-invocations.test.ts tests it).',
  );
  bench.say(
    '- More local workers do not add throughput: one process, one CPU-bound embedded store. And each invocation',
  );
  bench.say(
    '  must end within its 5 s timeout: on a busy CPU a record of 4 concurrent batches may reach its effect too',
  );
  bench.say(
    '  late; it gives up untouched and is handed back at once (visibility 0), not after the 30 s timeout.',
  );
  bench.say(
    "- The store is called in-process: no socket, no HTTP request, no signing; the SDK's own serializer and deserializer; other processes reach it over HTTP.",
  );
  bench.say(
    "- A command's middleware order is worked out once per command class (lib/local/middleware-order-cache.ts), and the store reads LevelDB at once rather than through libuv's thread pool (bench/level-reads.ts).",
  );
  bench.say(
    '- CPU ms per action: the process CPU (LevelDB threads included) over the run; steadier than actions/s when others load the machine.',
  );
  bench.say(
    '- On AWS the store is DynamoDB and each Lambda runs its own batch: read the ratios, not the absolute rates.',
  );
}
