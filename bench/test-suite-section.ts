import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { atMost, type Bench } from './report.ts';

const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));
/** Issue 15, goal 6: the whole `npm test` (typecheck, lint, every tier) on the 2-core machine. */
const MAX_MINUTES = 5;

/** Runs `npm test` once and reports its wall time; only when asked (`npm run bench -- n`), it takes minutes. */
export async function testSuiteSection(bench: Bench): Promise<void> {
  bench.say();
  bench.say('## (n) npm test, once, wall time');
  const started = performance.now();
  const result = spawnSync('npm', ['test', '--silent'], { cwd: PROJECT_ROOT, stdio: 'ignore' });
  const minutes = (performance.now() - started) / 60_000;
  bench.say();
  bench.say(
    `npm test ${result.status === 0 ? 'passed' : `FAILED (exit ${result.status})`} in ${minutes.toFixed(1)} min.`,
  );
  bench.figure({
    name: `npm test wall time${result.status === 0 ? '' : ' (FAILED)'}`,
    value: minutes,
    unit: 'min',
    ...atMost(minutes, MAX_MINUTES, 'min'),
    peer: 'other processes on the machine count too: compare runs made side by side',
  });
}
