import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createOfflineModel } from '../../../functions/adapters/local/offline-model.ts';
import { startLocalRuntime } from '../../../lib/local/runtime.ts';

const previousTmpdir = process.env.TMPDIR;
let scratchRoot: string | undefined;

afterEach(() => {
  if (previousTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = previousTmpdir;
  if (scratchRoot) rmSync(scratchRoot, { recursive: true, force: true });
});

describe('a local runtime without a data dir', () => {
  it('removes the scratch dirs it made (memory, outbox) when it closes', async () => {
    scratchRoot = mkdtempSync(join(tmpdir(), 'aios-scratch-root-'));
    // os.tmpdir() reads TMPDIR on each call: the runtime's scratch dirs go under this root.
    process.env.TMPDIR = scratchRoot;
    const runtime = await startLocalRuntime({ port: 0, model: createOfflineModel() });
    const made = readdirSync(scratchRoot).filter((name) => name.startsWith('aios-'));
    expect(made.map((name) => name.replace(/-[^-]+$/, '')).sort()).toEqual(['aios-memory', 'aios-outbox']);
    await runtime.close();
    expect(readdirSync(scratchRoot)).toEqual([]);
  });
});
