import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSignal } from '../../unit/asl/signal.ts';
import { countSideEffects, EXACTLY_ONCE_EACH, readSideEffects } from './run-machine-host.ts';

const childScript = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
const children: ChildProcess[] = [];
let dir = '';

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'aios-asl-kill-'));
});

afterEach(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function spawnChild(mode: 'start' | 'resume', killAt?: number) {
  const args = [
    childScript,
    mode,
    join(dir, 'db'),
    join(dir, 'log.jsonl'),
    ...(killAt ? [String(killAt)] : []),
  ];
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  let ended = false;
  const changed = createSignal();
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    changed.notify();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      ended = true;
      changed.notify();
      resolve(code);
    }),
  );
  const output = () => ({ stdout, stderr });
  /** Resolves once the child has printed `line` `times` times; rejects if it exits first. */
  const printed = async (line: string, times: number): Promise<void> => {
    const count = () => stdout.split(`${line}\n`).length - 1;
    await changed.until(() => count() >= times || ended);
    if (count() < times) throw new Error(`the child exited before printing ${line} ${times}×: ${stderr}`);
  };
  return { child, exited, output, printed };
}

describe('SIGKILL', () => {
  it('a new process finishes the execution a killed one left waiting on a task token', async () => {
    const first = spawnChild('start');
    await first.printed('SUBMITTED', 2);
    first.child.kill('SIGKILL');
    await first.exited;

    await resumeToSuccess();
    // Nothing recorded before the kill happened twice: no Lambda re-run, no message re-sent.
    expect(countSideEffects(readSideEffects(join(dir, 'log.jsonl')))).toEqual(EXACTLY_ONCE_EACH);
  });

  // Side effects in order: 1 run-recorder:start, 2 planner, 3 executor#0, 4 message#0, 5 monitor#0, 6 executor#1.
  it.each([
    [4, 'message#0'],
    [6, 'executor#1'],
  ])(
    'killed inside side effect %i (%s), the resumed execution redoes only that one',
    async (killAt, redone) => {
      const first = spawnChild('start', killAt);
      await first.exited;
      expect(first.child.signalCode).toBe('SIGKILL');

      await resumeToSuccess();
      const effects = readSideEffects(join(dir, 'log.jsonl'));
      expect(countSideEffects(effects)).toEqual({ ...EXACTLY_ONCE_EACH, [redone]: 2 });
      const step0Messages = effects.flatMap((effect) =>
        effect.kind === 'message' && effect.body.stepIndex === 0 ? [effect] : [],
      );
      // A re-sent message carries the same token, so a worker holding the first copy can still answer.
      expect(new Set(step0Messages.map((message) => message.body.taskToken)).size).toBe(1);
    },
  );
});

async function resumeToSuccess(): Promise<void> {
  const second = spawnChild('resume');
  const code = await second.exited;
  const { stdout, stderr } = second.output();
  expect(code, stderr).toBe(0);
  const result = JSON.parse(stdout.split('RESULT ')[1] ?? 'null') as {
    status: string;
    output: { outcomes: unknown[] };
  };
  expect(result.status).toBe('SUCCEEDED');
  expect(result.output.outcomes).toHaveLength(3);
}
