import { type ChildProcess, spawn } from 'node:child_process';
import type { RunDetails } from '../../functions/core/runs-service.ts';

/** A local runtime in a child process that prints `READY <url> <token>` and `CRASHPOINT <point>`. */
export interface ChildRuntime {
  process: ChildProcess;
  url: string;
  token: string;
  /** Resolves with the crash point once the child has reached it (and holds still there). */
  crashed: Promise<string>;
}

/** Starts `script` (a .ts file run with tsx) and resolves once it serves. */
export function startChildRuntime(script: string, env: Record<string, string>): Promise<ChildRuntime> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    let crashedResolve: (point: string) => void = () => {};
    const crashed = new Promise<string>((r) => {
      crashedResolve = r;
    });
    let buffer = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      for (const line of buffer.split('\n').slice(0, -1)) {
        const [word, a, b] = line.split(' ');
        if (word === 'READY' && a && b) resolve({ process: child, url: a, token: b, crashed });
        if (word === 'CRASHPOINT' && a) crashedResolve(a);
      }
      buffer = buffer.slice(buffer.lastIndexOf('\n') + 1);
    });
    child.once('exit', (code, signal) => {
      if (signal !== 'SIGKILL' && code !== 0)
        reject(new Error(`runtime process exited ${code ?? signal}: ${stderr}`));
    });
  });
}

export async function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

export async function callChild<T>(
  child: ChildRuntime,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${child.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${child.token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Polls until every run is SUCCEEDED or FAILED; the error names the ones still going. */
export async function waitForRuns(
  child: ChildRuntime,
  runIds: string[],
  timeoutMs = 45_000,
): Promise<RunDetails[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const details = await Promise.all(runIds.map((id) => callChild<RunDetails>(child, 'GET', `/runs/${id}`)));
    if (details.every((d) => d.run.status === 'SUCCEEDED' || d.run.status === 'FAILED')) return details;
    if (Date.now() > deadline) {
      throw new Error(
        `runs not finished: ${details.map((d) => `${d.run.runId}=${d.run.status}`).join(', ')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
