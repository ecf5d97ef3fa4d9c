import { benchBundles } from './bundles.ts';
import { atMost, type Bench } from './report.ts';
import { benchSlackClick } from './slack-click.ts';
import { median, ms, percentile, ratio } from './stats.ts';
import { renderTable } from './table.ts';

/** Issue 15, goal 1: minified, AWS SDK external. */
const MAX_KIB = 300;
/** Issue 15, goal 2: a handler's cold import against a bundle of only the SDK modules it imports. */
const MAX_IMPORT_RATIO = 1.25;
/**
 * Processes per handler. Each is its own baseline, so the ratio's median holds within a few
 * hundredths over this many even on a loaded machine (bench/README.md shows the spread).
 */
const QUICK_PROCESSES = 9;
const PROCESSES = 15;
/** The Slack click's cold processes: five or more, as goal 2 reads a median. */
const SLACK_PROCESSES = { quick: 5, full: 7 };

type Measured = Awaited<ReturnType<typeof benchBundles>>['results'][number];

/** Per process: (its SDK modules + the rest) / its SDK modules, in CPU or wall time. */
const importRatios = (r: Measured, clock: 'cpuMs' | 'wallMs') =>
  r.imports.map((i) => (i.sdk[clock] + i.rest[clock]) / i.sdk[clock]);

export async function bundlesSection(bench: Bench): Promise<void> {
  const processes = bench.quick ? QUICK_PROCESSES : PROCESSES;
  bench.say();
  bench.say(`## (a) Lambda bundles: size and cold import (${processes} fresh node processes each)`);
  bench.say();
  // The full run also imports each handler alone, to show that the paired sum is its cold import.
  const report = await benchBundles({ processes, alone: !bench.quick });
  const emptyCpu = median(report.empty.map((t) => t.cpuMs));
  const alone = report.results.some((r) => r.alone.length > 0);
  bench.say(
    renderTable(
      [
        { header: 'bundle' },
        { header: 'KiB', align: 'right' },
        { header: 'its SDK modules, CPU ms', align: 'right' },
        { header: 'the rest, CPU ms', align: 'right' },
        { header: 'cold import, CPU ms', align: 'right' },
        ...(alone ? [{ header: 'imported alone, CPU ms', align: 'right' as const }] : []),
        { header: 'x empty (CPU)', align: 'right' },
        { header: `x its SDK modules (CPU; goal <= ${MAX_IMPORT_RATIO})`, align: 'right' },
        { header: 'p25-p75', align: 'right' },
        { header: 'x its SDK modules (wall)', align: 'right' },
        { header: 'SDK modules it imports' },
      ],
      report.results.map((r) => {
        const cpu = importRatios(r, 'cpuMs');
        return [
          r.name,
          (r.bytes / 1024).toFixed(1),
          ms(median(r.imports.map((i) => i.sdk.cpuMs))),
          ms(median(r.imports.map((i) => i.rest.cpuMs))),
          ms(median(r.imports.map((i) => i.sdk.cpuMs + i.rest.cpuMs))),
          ...(alone ? [ms(median(r.alone.map((t) => t.cpuMs)))] : []),
          ratio(median(r.imports.map((i) => i.sdk.cpuMs + i.rest.cpuMs)) / emptyCpu),
          ratio(median(cpu)),
          `${percentile(cpu, 25).toFixed(2)}-${percentile(cpu, 75).toFixed(2)}`,
          ratio(median(importRatios(r, 'wallMs'))),
          r.sdkModules.map((m) => m.replace('@aws-sdk/', '')).join(', '),
        ];
      }),
    ),
  );
  bench.say();
  bench.say(
    `- (empty handler): a bundle of \`export const handler = async () => ({})\`, ${ms(emptyCpu)} ms CPU.`,
  );
  bench.say(
    '- Each process imports first a bundle of only the `@aws-sdk/*` modules its handler imports (its',
  );
  bench.say(
    "  SDK modules: the part of the cold import the Lambda runtime ships), then the handler's bundle",
  );
  bench.say(
    '  (the rest: aios code and its libraries, on top of SDK modules already loaded); the sum is the',
  );
  bench.say(
    '  cold import. Goal 2 is the median over the processes of sum / SDK modules, each process its own',
  );
  bench.say('  baseline (bench/README.md). p25-p75 is the spread of that ratio over the processes.');
  bench.say();
  bench.say('- Built with the esbuild options of lib/cloud/aios-function.ts: ESM, target node22, minify, no');
  bench.say('  source map, createRequire banner, `@aws-sdk/*` external; every entry the CDK app deploys.');
  bench.say(
    '- Import time is `await import(bundle)` inside a fresh node, after one discarded process that loads every SDK module;',
  );
  bench.say('  node start-up itself is not counted. Dummy values for every environment variable the stack');
  bench.say('  gives any function (HANDLER_ENV; test/infra/bench-env.test.ts fails when one is missing).');
  bench.say(
    '- CPU ms is the process CPU time (all threads) over the import; the ratios of goal 2 are read in it,',
  );
  bench.say('  since on a shared machine the wall clock also counts waiting for a core. Wall ratios beside.');
  bench.say(
    `- Locally node is ${process.version}, on AWS Node.js 22 on arm64: read the ratios, not the times.`,
  );
  if (report.drift.length > 0)
    bench.say(
      `- WARNING: lib/cloud/aios-function.ts no longer contains: ${report.drift.join('; ')}. Update bench/bundles.ts.`,
    );

  const handlers = report.results;
  const largest = handlers.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  const largestKiB = largest.bytes / 1024;
  bench.figure({
    name: `largest Lambda bundle (${largest.name}), minified, SDK external`,
    value: largestKiB,
    unit: 'KiB',
    ...atMost(Math.round(largestKiB), MAX_KIB, 'KiB'),
    peer: `${handlers.filter((h) => h.bytes <= MAX_KIB * 1024).length} of ${handlers.length} bundles within`,
  });
  const sdkRatio = (r: Measured) => median(importRatios(r, 'cpuMs'));
  const worst = handlers
    .map((h) => ({ name: h.name, value: sdkRatio(h) }))
    .reduce((a, b) => (b.value > a.value ? b : a));
  bench.figure({
    name: `worst cold import / its SDK modules, same process, CPU time (${worst.name})`,
    value: worst.value,
    unit: 'x',
    ...atMost(worst.value, MAX_IMPORT_RATIO, 'x'),
    peer: `${handlers.filter((h) => sdkRatio(h) <= MAX_IMPORT_RATIO).length} of ${handlers.length} within`,
  });
  await slackClick(bench, bench.quick ? SLACK_PROCESSES.quick : SLACK_PROCESSES.full);
}

/** Issue 15, goal 2: Slack waits 3 s for an answer, cold start included; the goal is well inside 1 s. */
const MAX_COLD_CLICK_MS = 1000;

async function slackClick(bench: Bench, processes: number): Promise<void> {
  bench.say();
  bench.say(
    `### slack-interactions: cold import plus one signed Approve click (${processes} fresh node processes)`,
  );
  bench.say();
  const runs = await benchSlackClick(processes);
  const row = (name: string, values: number[]) => [name, ms(median(values)), ms(percentile(values, 90))];
  bench.say(
    renderTable(
      [{ header: 'phase' }, { header: 'median ms', align: 'right' }, { header: 'p90 ms', align: 'right' }],
      [
        row(
          'import of the bundle',
          runs.map((r) => r.importMs),
        ),
        row(
          'the click, signed, to its answer',
          runs.map((r) => r.clickMs),
        ),
        row(
          'cold import + click',
          runs.map((r) => r.totalMs),
        ),
        row(
          'cold import + click, CPU time',
          runs.map((r) => r.cpuMs),
        ),
      ],
    ),
  );
  bench.say();
  bench.say('- The bundle of section (a), invoked with the API Gateway event of a signed Approve click on a');
  bench.say(
    '  pending approval of its own: signing secret from Secrets Manager, approval read and decided in',
  );
  bench.say(
    '  DynamoDB (the embedded store), the paused run answered via Step Functions, the message updated',
  );
  bench.say('  via the Web API; the services are loopback fakes, so their latency on AWS is not in it.');
  bench.say('  The goal is read on the wall clock, waits for a core on this shared machine included.');
  const total = median(runs.map((r) => r.totalMs));
  bench.figure({
    name: 'slack-interactions cold import + one signed click answered',
    value: total,
    unit: 'ms',
    ...atMost(total, MAX_COLD_CLICK_MS, 'ms'),
    peer: 'Slack gives up after 3 s',
  });
}
