import { benchBundles } from './bundles.ts';
import { atMost, type Bench } from './report.ts';
import { median, ms, percentile, ratio } from './stats.ts';
import { renderTable } from './table.ts';

/** Issue 15, goal 1: minified, AWS SDK external. */
const MAX_KIB = 300;
/** Issue 15, goal 2: a handler's cold import against a bundle of only the SDK modules it imports. */
const MAX_IMPORT_RATIO = 1.25;

export async function bundlesSection(bench: Bench): Promise<void> {
  const processes = bench.quick ? 3 : 7;
  bench.say();
  bench.say(`## (a) Lambda bundles: size and cold import (${processes} fresh node processes each)`);
  bench.say();
  const report = await benchBundles(processes);
  const byName = new Map(report.results.map((r) => [r.name, r]));
  const baseline = byName.get(report.baseline);
  if (!baseline) throw new Error('the empty baseline bundle was not measured');
  const baselineMedian = median(baseline.importMs);
  const sdkRatio = (r: (typeof report.results)[number]) => {
    const sdk = r.sdkBaseline ? byName.get(r.sdkBaseline) : undefined;
    return sdk ? median(r.importMs) / median(sdk.importMs) : undefined;
  };
  bench.say(
    renderTable(
      [
        { header: 'bundle' },
        { header: 'KiB', align: 'right' },
        { header: 'median import ms', align: 'right' },
        { header: 'p90 import ms', align: 'right' },
        { header: 'x empty', align: 'right' },
        { header: 'x its SDK modules', align: 'right' },
        { header: 'SDK modules it imports' },
      ],
      report.results.map((r) => {
        const vsSdk = sdkRatio(r);
        return [
          r.name,
          (r.bytes / 1024).toFixed(1),
          ms(median(r.importMs)),
          ms(percentile(r.importMs, 90)),
          ratio(median(r.importMs) / baselineMedian),
          vsSdk === undefined ? '' : ratio(vsSdk),
          r.sdkModules.map((m) => m.replace('@aws-sdk/', '')).join(', '),
        ];
      }),
    ),
  );
  bench.say();
  bench.say('- Built with the esbuild options of lib/cloud/aios-function.ts: ESM, target node22, minify, no');
  bench.say('  source map, createRequire banner, `@aws-sdk/*` external; every entry the CDK app deploys.');
  bench.say(
    '- (SDK only ...) imports exactly the `@aws-sdk/*` modules a handler imports and nothing else: the',
  );
  bench.say(
    '  part of its cold import that is the SDK, which the Lambda runtime ships, rather than aios code.',
  );
  bench.say(
    '- Import time is `await import(bundle)` inside a fresh node, after one discarded warm-up round; node',
  );
  bench.say('  start-up itself is not counted. Dummy values for every variable the handlers `requireEnv`.');
  bench.say(
    `- Locally node is ${process.version}, on AWS Node.js 22 on arm64: read the ratios, not the times.`,
  );
  if (report.drift.length > 0)
    bench.say(
      `- WARNING: lib/cloud/aios-function.ts no longer contains: ${report.drift.join('; ')}. Update bench/bundles.ts.`,
    );

  const handlers = report.results.filter((r) => r.sdkBaseline !== undefined);
  const largest = handlers.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  const largestKiB = largest.bytes / 1024;
  bench.figure({
    name: `largest Lambda bundle (${largest.name}), minified, SDK external`,
    value: largestKiB,
    unit: 'KiB',
    ...atMost(Math.round(largestKiB), MAX_KIB, 'KiB'),
    peer: `${handlers.filter((h) => h.bytes <= MAX_KIB * 1024).length} of ${handlers.length} bundles within`,
  });
  const worst = handlers
    .map((h) => ({ name: h.name, value: sdkRatio(h) ?? Number.NaN }))
    .reduce((a, b) => (b.value > a.value ? b : a));
  bench.figure({
    name: `worst cold import / its SDK modules alone (${worst.name})`,
    value: worst.value,
    unit: 'x',
    ...atMost(worst.value, MAX_IMPORT_RATIO, 'x'),
    peer: `${handlers.filter((h) => (sdkRatio(h) ?? 0) <= MAX_IMPORT_RATIO).length} of ${handlers.length} within`,
  });
  const slack = byName.get('slack-interactions');
  if (slack) {
    bench.figure({
      name: 'slack-interactions cold import',
      value: median(slack.importMs),
      unit: 'ms',
      peer: `its SDK modules alone ${ms(median(byName.get(slack.sdkBaseline ?? '')?.importMs ?? [Number.NaN]))} ms; Slack allows 3 s`,
    });
  }
}
