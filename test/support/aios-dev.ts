import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../bin/aios.mjs', import.meta.url));

export interface AiosDev {
  readonly dataDir: string;
  readonly port: number;
  /** Runs one CLI command against this `aios dev`; `extra` overrides environment variables. */
  aios(args: string[], extra?: Record<string, string>): Promise<CliResult>;
  stop(): Promise<void>;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI once with exactly this environment on top of the test's; resolves with its exit code. */
export function runAios(args: string[], env: Record<string, string>): Promise<CliResult> {
  return runNode([CLI, ...args], env);
}

/** Runs node once with these arguments and this environment on top of the test's. */
export function runNode(args: string[], env: Record<string, string | undefined>): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      { env: { ...process.env, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });

/**
 * Starts `aios dev` (what `npm start` runs) in a child process on a fresh data dir and a free port;
 * `cli` is how node runs the CLI, for this process and for `aios()`.
 */
export async function startAiosDev(prefix: string, cli: string[] = [CLI]): Promise<AiosDev> {
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  const port = await freePort();
  const env = (extra: Record<string, string> = {}) => ({
    ...process.env,
    AIOS_DATA_DIR: dataDir,
    AIOS_PORT: String(port),
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    ...extra,
  });
  const dev: ChildProcess = spawn(process.execPath, [...cli, 'dev'], {
    env: env(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    dev.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('aios is running at')) resolve();
    });
    dev.once('exit', (code) => reject(new Error(`aios dev exited ${code}: ${out}`)));
  });
  return {
    dataDir,
    port,
    aios: (args, extra = {}) => runNode([...cli, ...args], env(extra)),
    async stop() {
      if (dev.exitCode === null) {
        const exited = new Promise((resolve) => dev.once('exit', resolve));
        dev.kill('SIGTERM');
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
