import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildCli } from '../lib/cli/build.ts';
import { isBuildFresh } from '../lib/cli/fresh.ts';
import { startAiosDev } from '../test/support/aios-dev.ts';
import { median, ms, percentile, ratio } from './stats.ts';
import { renderTable } from './table.ts';

const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));
const ROUNDS = 15;
const WARM_UP_ROUNDS = 2;
/** Issue 9: `aios --help` and `aios runs` start within 3x a bare `node -e 0`. */
const TARGET = 3;

interface Case {
  name: string;
  how: string;
  argv: string[];
  /** Whether the ≤ 3x target applies to it. */
  target?: boolean;
}

const node = process.execPath;
const cli = join(PROJECT_ROOT, 'bin', 'aios.mjs');
const fromSource = ['--import', 'tsx', join(PROJECT_ROOT, 'bin', 'aios.ts')];

const CASES: Case[] = [
  { name: 'node -e 0', how: 'a bare node: the baseline', argv: [node, '-e', '0'] },
  { name: 'aios --help', how: 'node bin/aios.mjs (compiled)', argv: [node, cli, '--help'], target: true },
  { name: 'aios runs', how: 'node bin/aios.mjs (compiled)', argv: [node, cli, 'runs'], target: true },
  { name: 'aios --help', how: 'the sources through tsx', argv: [node, ...fromSource, '--help'] },
  { name: 'aios runs', how: 'the sources through tsx', argv: [node, ...fromSource, 'runs'] },
  { name: 'aios --help', how: 'npm run -s aios --', argv: ['npm', 'run', '-s', 'aios', '--', '--help'] },
  { name: 'aios runs', how: 'npm run -s aios --', argv: ['npm', 'run', '-s', 'aios', '--', 'runs'] },
  {
    name: 'node -e 0',
    how: 'npm exec -- (the floor of npx)',
    argv: ['npm', 'exec', '--', 'node', '-e', '0'],
  },
  { name: 'aios --help', how: 'npx aios', argv: ['npx', 'aios', '--help'] },
  { name: 'aios runs', how: 'npx aios', argv: ['npx', 'aios', 'runs'] },
];

/** Wall time of one process from spawn to exit, ms; it must exit 0. */
function timeOnce(argv: readonly string[], env: NodeJS.ProcessEnv): number {
  const [command = '', ...args] = argv;
  const started = performance.now();
  const result = spawnSync(command, args, { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const took = performance.now() - started;
  if (result.status !== 0) throw new Error(`${argv.join(' ')} exited ${result.status}: ${result.stderr}`);
  return took;
}

/** The server's own share of `aios runs`: GET /runs from this process, on a kept-alive connection. */
async function serverMs(port: number, token: string): Promise<number[]> {
  const once = () =>
    new Promise<number>((resolve, reject) => {
      const started = performance.now();
      request(
        `http://127.0.0.1:${port}/runs`,
        { headers: { authorization: `Bearer ${token}` } },
        (response) => {
          response.resume();
          response.on('end', () => resolve(performance.now() - started));
        },
      )
        .on('error', reject)
        .end();
    });
  const times: number[] = [];
  for (let i = 0; i < ROUNDS + WARM_UP_ROUNDS; i += 1) times.push(await once());
  return times.slice(WARM_UP_ROUNDS);
}

export async function cliSection(say: (text?: string) => void) {
  say();
  say(`## (f) CLI start: wall time of one call, median of ${ROUNDS} rounds after ${WARM_UP_ROUNDS} warm-up`);
  say();
  const fresh = isBuildFresh();
  if (!fresh) await buildCli();
  const dev = await startAiosDev('aios-bench-cli-');
  try {
    const env = { ...process.env, AIOS_DATA_DIR: dev.dataDir, AIOS_PORT: String(dev.port) };
    const times = new Map<Case, number[]>(CASES.map((c) => [c, []]));
    // Interleaved, so a burst of load on the machine spreads over every case rather than one.
    for (let round = 0; round < ROUNDS + WARM_UP_ROUNDS; round += 1) {
      for (const c of CASES) {
        const took = timeOnce(c.argv, env);
        if (round >= WARM_UP_ROUNDS) times.get(c)?.push(took);
      }
    }
    const server = await serverMs(dev.port, readFileSync(join(dev.dataDir, 'api-token'), 'utf8').trim());
    const baseline = times.get(CASES[0] as Case) ?? [];
    // Each case against the baseline of its own round: the load of this machine changes by the second.
    const ratios = (sample: readonly number[]) => sample.map((t, i) => t / (baseline[i] ?? Number.NaN));
    say(
      renderTable(
        [
          { header: 'command' },
          { header: 'called as' },
          { header: 'median ms', align: 'right' },
          { header: 'p90 ms', align: 'right' },
          { header: 'x node -e 0', align: 'right' },
          { header: `target ≤ ${TARGET}x` },
        ],
        CASES.map((c) => {
          const sample = times.get(c) ?? [];
          const x = median(ratios(sample));
          return [
            c.name,
            c.how,
            ms(median(sample), 0),
            ms(percentile(sample, 90), 0),
            ratio(x),
            c.target ? (x <= TARGET ? 'met' : 'NOT MET') : '',
          ];
        }),
      ),
    );
    say();
    say('- x node -e 0: the median over rounds of each call / the bare node of the same round.');
    say(
      `- bin/dist was ${fresh ? 'fresh (built by npm ci / npm run build:cli)' : 'missing or stale, so the bench built it first (npm run build:cli)'}.`,
    );
    say(
      '  `node bin/aios.mjs` checks that the build matches the sources (a digest of each of its ~16 inputs)',
    );
    say(
      '  and runs it; otherwise it runs the sources through tsx, which the "sources through tsx" rows show.',
    );
    say(
      `- \`aios runs\` asks a running \`aios dev\` (child process, empty store, loopback); the server's own share,`,
    );
    say(`  GET /runs from the bench process, is ${ms(median(server), 1)} ms median. Each row must exit 0.`);
    say('- npx and npm run add npm itself: npx installs the project into its cache (~/.npm/_npx) and loads');
    say(
      '  the whole dependency tree on every call, before the CLI starts. For daily use call node directly,',
    );
    say('  e.g. `alias aios="node $PWD/bin/aios.mjs"` (README, The CLI).');
  } finally {
    await dev.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await cliSection((text = '') => process.stdout.write(`${text}\n`));
}
