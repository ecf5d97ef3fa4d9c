/**
 * Sends N fuzzed requests (the same generator as every-route.test.ts) to a fresh local runtime and
 * prints how many got each status class, per route. Not a test: it counts instead of stopping at
 * the first 5xx. `npx tsx test/integration/fuzz/census.ts [N] [seed]`
 */
import '../../../bench/env.ts';
import fc from 'fast-check';
import { startFuzzEnvironment } from '../../support/fuzz-runtime.ts';
import { requestArbitrary, send } from '../../support/route-fuzz.ts';

const total = Number(process.argv[2] ?? 3510);
const seed = Number(process.argv[3] ?? 1);
const env = await startFuzzEnvironment();
try {
  const requests = fc.sample(requestArbitrary(env), { numRuns: total, seed });
  const columns = ['2xx', '3xx', '4xx', '500', 'other 5xx'] as const;
  const columnOf = (status: number) =>
    status === 500 ? 3 : status >= 500 ? 4 : Math.min(2, Math.max(0, Math.floor(status / 100) - 2));
  const byRoute = new Map<string, number[]>();
  for (const request of requests) {
    const { status } = await send(env.runtime.url, request);
    const row = byRoute.get(request.route) ?? columns.map(() => 0);
    const column = columnOf(status);
    row[column] = (row[column] ?? 0) + 1;
    byRoute.set(request.route, row);
  }
  const rows = [...byRoute].sort(([a], [b]) => a.localeCompare(b));
  console.log(`| route | ${columns.join(' | ')} |\n|---|${columns.map(() => '---|').join('')}`);
  for (const [route, row] of rows) console.log(`| ${route} | ${row.join(' | ')} |`);
  const total500 = rows.reduce((n, [, row]) => n + (row[3] ?? 0), 0);
  const other5xx = rows.reduce((n, [, row]) => n + (row[4] ?? 0), 0);
  console.log(`\n${total500} of ${total} fuzzed requests got a 500, ${other5xx} another 5xx (seed ${seed})`);
} finally {
  await env.close();
}
