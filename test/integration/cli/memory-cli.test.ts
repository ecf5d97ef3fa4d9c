import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../../bin/aios.mjs', import.meta.url));

let dataDir: string;
let port: number;
let dev: ChildProcess;

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });

const env = () => ({
  ...process.env,
  AIOS_DATA_DIR: dataDir,
  AIOS_PORT: String(port),
  POWERTOOLS_LOG_LEVEL: 'ERROR',
});

function aios(args: string[]) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: env(), timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'aios-memory-cli-'));
  port = await freePort();
  dev = spawn(process.execPath, [CLI, 'dev'], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    dev.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('aios is running at')) resolve();
    });
    dev.once('exit', (code) => reject(new Error(`aios dev exited ${code}: ${out}`)));
  });
});

afterAll(async () => {
  if (dev.exitCode === null) {
    const exited = new Promise((resolve) => dev.once('exit', resolve));
    dev.kill('SIGTERM');
    await exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

describe('aios memory against `aios dev`', () => {
  let id = '';

  it('adds an item and finds it with its id, text, origin, score and rank (--json)', async () => {
    const added = await aios([
      'memory',
      'add',
      '--namespace',
      'customer:acme',
      '--kind',
      'fact',
      '--document',
      'contract.pdf',
      'Acme pays invoices net 30',
    ]);
    expect(added.code, added.stderr).toBe(0);
    id = /Remembered (\S+) v1 in customer:acme/.exec(added.stdout)?.[1] ?? '';
    expect(id).not.toBe('');

    const found = await aios(['memory', 'search', 'payment terms', '--namespace', 'customer:acme', '--json']);
    expect(found.code, found.stderr).toBe(0);
    const result = JSON.parse(found.stdout);
    expect(result.hits[0]).toMatchObject({
      id,
      rank: 1,
      text: 'Acme pays invoices net 30',
      origin: { document: 'contract.pdf' },
    });
    expect(result.hits[0].score).toBeGreaterThan(0);
    const text = await aios(['memory', 'search', 'payment terms', '--namespace', 'customer:acme']);
    expect(text.stdout).toMatch(new RegExp(`1\\. \\d\\.\\d{3}  ${id} v1`));
  });

  it('supersedes, shows the history, reindexes and consolidates', async () => {
    const superseded = await aios([
      'memory',
      'add',
      '--namespace',
      'customer:acme',
      '--kind',
      'fact',
      '--supersedes',
      id,
      'Acme pays invoices net 45',
    ]);
    expect(superseded.stdout).toMatch(`Remembered ${id} v2`);
    const history = await aios(['memory', 'history', id]);
    expect(history.stdout).toMatch(/v1 {2}superseded/);
    expect(history.stdout).toMatch(/v2 {2}current/);

    const reindex = await aios(['memory', 'reindex', '--json']);
    expect(JSON.parse(reindex.stdout)).toMatchObject({
      from: 'v000001',
      to: 'v000002',
      items: 1,
      indexed: 1,
    });
    const consolidate = await aios(['memory', 'consolidate']);
    expect(consolidate.code).toBe(0);
    expect(consolidate.stdout).toMatch(/^Consolidated 0 working item/);
  });

  it('names the bad field and exits 2; an unknown id exits 4', async () => {
    const bad = await aios(['memory', 'add', '--namespace', 'Acme Inc', '--kind', 'fact', 'x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/namespace/);
    expect((await aios(['memory', 'history', 'mem-missing'])).code).toBe(4);
  });
});
