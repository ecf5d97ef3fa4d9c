import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, type CliBuild } from '../../../lib/cli/build.ts';
import { runNode, startAiosDev } from '../../support/aios-dev.ts';

// The compiled CLI (bin/dist, built by npm ci) must be the same program as its sources: every
// answer and exit code alike. Built here into a folder of the test's own, from the sources as they are.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'aios-compiled-'));
const outdir = join(work, 'dist');
const dataDir = join(work, 'data');
let build: CliBuild;

beforeAll(async () => {
  // Dependencies stay in node_modules (the build bundles only aios code): found from here as from bin/dist.
  symlinkSync(join(ROOT, 'node_modules'), join(work, 'node_modules'), 'dir');
  mkdirSync(dataDir);
  writeFileSync(join(dataDir, 'api-token'), 'a-token\n');
  build = await buildCli({ outdir });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const compiled = [join(outdir, 'aios.mjs')];
const fromSource = ['--import', 'tsx', join(ROOT, 'bin', 'aios.ts')];
// Nothing listens here, so a command that gets as far as the API says aios is not running.
const env = { AIOS_API_URL: 'http://127.0.0.1:9', AIOS_DATA_DIR: dataDir, AIOS_PORT: '8787' };

const COMMANDS = [
  'dev',
  'run',
  'runs',
  'show',
  'history',
  'audit',
  'approvals',
  'approve',
  'reject',
  'connectors',
  'dlq',
  'dlq list',
  'dlq redrive',
  'memory',
  'memory add',
  'memory search',
  'memory history',
  'memory reindex',
  'memory consolidate',
];

describe('the compiled CLI', () => {
  it.each<[string, string[], number]>([
    ['--help', ['--help'], 0],
    ['--version', ['--version'], 0],
    ...COMMANDS.map((command): [string, string[], number] => [
      `${command} --help`,
      [...command.split(' '), '--help'],
      0,
    ]),
    ['no command', [], 2],
    ['an unknown command', ['frobnicate'], 2],
    ['a bad option value', ['runs', '--limit', 'abc'], 2],
    ['a bad choice', ['run', 'onboarding', '--mode', 'fast'], 2],
    ['a missing required option', ['reject', 'apr-1'], 2],
    ['a port out of range', ['dev', '--port', '70000'], 2],
    ['a bad --set', ['run', 'onboarding', '--set', 'no-equals-sign'], 2],
    ['an input file that is not there', ['run', 'onboarding', '--input', join(work, 'none.json')], 2],
    ['runs, nothing listening', ['runs'], 3],
    ['memory search, nothing listening', ['memory', 'search', 'q', '--namespace', 'operator'], 3],
    ['a decision, nothing listening', ['approve', 'apr-1', '--note', 'ok'], 3],
  ])('answers %s as the sources do', async (_what, args, code) => {
    const [fromBuild, fromSources] = await Promise.all([
      runNode([...compiled, ...args], env),
      runNode([...fromSource, ...args], env),
    ]);
    expect(fromBuild).toEqual(fromSources);
    expect(fromBuild.code, fromBuild.stderr).toBe(code);
  });

  it('finds the project from its sources, not from where it was built: .aios/ is the default data dir', async () => {
    const noDataDir = { ...env, AIOS_DATA_DIR: undefined };
    const [fromBuild, fromSources] = await Promise.all([
      runNode([...compiled, 'runs'], noDataDir),
      runNode([...fromSource, 'runs'], noDataDir),
    ]);
    expect(fromBuild).toEqual(fromSources);
    expect(fromBuild.code).toBe(3);
    // Either no token in .aios/ (aios never started here) or one, and then nothing listens at :9.
    expect(fromBuild.stderr).toMatch(
      new RegExp(`no API token at ${join(ROOT, '.aios', 'api-token')}|aios is not running at`),
    );
  });

  it('bundles the CLI only: the local runtime of `aios dev` is loaded from its sources', () => {
    expect(build.inputs).toContain('bin/aios.ts');
    expect(build.inputs.filter((input) => input.startsWith('lib/local/'))).toEqual([]);
    expect(build.inputs.filter((input) => input.includes('node_modules'))).toEqual([]);
  });

  it('runs `aios dev`, and the other commands talk to it', async () => {
    const dev = await startAiosDev('aios-compiled-dev-', compiled);
    try {
      const runs = await dev.aios(['runs']);
      expect(runs).toMatchObject({ code: 0, stderr: '' });
      expect(runs.stdout).toMatch(/^No runs yet/);
    } finally {
      await dev.stop();
    }
  });
});

describe('bin/aios.mjs', () => {
  it('runs the compiled CLI while it matches the sources, and the sources otherwise', async () => {
    // A copy of the files the CLI is built from, with the real node_modules, to build and change freely.
    const project = join(work, 'project');
    for (const input of [...build.inputs, 'bin/aios.mjs']) {
      mkdirSync(dirname(join(project, input)), { recursive: true });
      cpSync(join(ROOT, input), join(project, input));
    }
    symlinkSync(join(ROOT, 'node_modules'), join(project, 'node_modules'), 'dir');
    const projectBuild = join(project, 'bin', 'dist');
    const said = async () => {
      const help = await runNode([join(project, 'bin', 'aios.mjs'), '--help'], env);
      expect(help.code, help.stderr).toBe(0);
      return /^(.*): recurring work/m.exec(help.stdout)?.[1];
    };
    // The build, told apart from the sources by a word changed in its output (not one of its inputs).
    const buildAndMark = async () => {
      await buildCli({ root: project, outdir: projectBuild });
      const entry = join(projectBuild, 'aios.mjs');
      writeFileSync(
        entry,
        readFileSync(entry, 'utf8').replace('aios: recurring work', 'built: recurring work'),
      );
    };

    expect(await said()).toBe('aios');

    await buildAndMark();
    expect(await said()).toBe('built');

    const options = join(project, 'lib', 'cli', 'options.ts');
    writeFileSync(options, `${readFileSync(options, 'utf8')}// changed since the build\n`);
    expect(await said()).toBe('aios');

    await buildAndMark();
    expect(await said()).toBe('built');

    rmSync(projectBuild, { recursive: true });
    expect(await said()).toBe('aios');
  });
});
