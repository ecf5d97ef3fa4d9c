import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/*
 * Vitest's global setup: the whole test run gets one temp dir of its own, removed when the run
 * ends, so what a test leaves there (a CDK assembly of each synth, 6-55 MB; a store a test kills
 * on purpose) does not pile up in the system's temp dir run after run. The test processes start
 * after this and inherit TMPDIR, and os.tmpdir() reads it.
 */
export default function setup(): () => void {
  const previous = process.env.TMPDIR;
  const root = mkdtempSync(join(tmpdir(), 'aios-test-run-'));
  process.env.TMPDIR = root;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(root, { recursive: true, force: true });
  };
}
