/**
 * Runs the exactly-once gateway test again and again while busy processes hog the CPU, and
 * prints a table of the rounds. Exits 1 unless every round passed.
 *
 *   npm run soak:gateway                       10 rounds, one busy loop per core
 *   npm run soak:gateway -- --runs 20 --hogs 4
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { renderTable } from '../../bench/table.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TEST = 'test/integration/gateway/exactly-once.test.ts';

interface RoundReport {
  seconds: number;
  handlerTimeouts: number;
  invocations: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

function options() {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '10' },
      hogs: { type: 'string', default: String(availableParallelism()) },
    },
  });
  const runs = Number(values.runs);
  const hogs = Number(values.hogs);
  if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(hogs) || hogs < 0) {
    process.stderr.write('usage: npm run soak:gateway -- [--runs N (>= 1)] [--hogs N (>= 0)]\n');
    process.exit(2);
  }
  return { runs, hogs };
}

/** A busy loop in its own process: it competes for the CPU like any other load on the machine. */
const startHog = (): ChildProcess => spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' });

function runTest(report: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', TEST], {
      cwd: ROOT,
      env: { ...process.env, AIOS_SOAK_REPORT: report },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

const { runs, hogs } = options();
const dir = mkdtempSync(join(tmpdir(), 'aios-soak-gateway-'));
const busy = Array.from({ length: hogs }, startHog);
const stopHogs = () => {
  for (const hog of busy) hog.kill('SIGKILL');
};
process.once('SIGINT', () => {
  stopHogs();
  process.exit(130);
});

const say = (text = '') => process.stdout.write(`${text}\n`);
say(
  `# exactly-once gateway soak: ${runs} rounds of ${TEST} with ${hogs} busy loop(s) on ${availableParallelism()} cores`,
);
const rows: string[][] = [];
let passed = 0;
try {
  for (let round = 1; round <= runs; round += 1) {
    const report = join(dir, `round-${round}.jsonl`);
    const began = Date.now();
    const code = await runTest(report);
    let details: RoundReport | undefined;
    try {
      details = JSON.parse(readFileSync(report, 'utf8').trim().split('\n').at(-1) ?? '') as RoundReport;
    } catch {
      details = undefined;
    }
    if (code === 0) passed += 1;
    rows.push([
      String(round),
      code === 0 ? 'pass' : 'FAIL',
      ((Date.now() - began) / 1000).toFixed(0),
      details ? details.seconds.toFixed(1) : '-',
      details ? String(details.handlerTimeouts) : '-',
      details ? `${details.p50Ms} / ${details.p95Ms} / ${details.maxMs}` : '-',
      loadavg()[0]?.toFixed(1) ?? '-',
    ]);
    say(`round ${round}: ${code === 0 ? 'pass' : 'FAIL'}`);
  }
} finally {
  stopHogs();
  rmSync(dir, { recursive: true, force: true });
}
say();
say(
  renderTable(
    [
      { header: 'round', align: 'right' },
      { header: 'result' },
      { header: 'wall s', align: 'right' },
      { header: 'drain s', align: 'right' },
      { header: 'handler timeouts', align: 'right' },
      { header: 'invocation ms p50 / p95 / max' },
      { header: 'load (1 min)', align: 'right' },
    ],
    rows,
  ),
);
say();
say(`${passed}/${runs} rounds passed`);
process.exit(passed === runs ? 0 : 1);
