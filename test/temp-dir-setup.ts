import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Set while a test run's temp dir is in use: each vitest project runs this setup, the first makes the dir. */
const RUN_TEMP_DIR = 'AIOS_TEST_RUN_TMPDIR';

/*
 * Vitest's global setup: the whole test run gets one temp dir of its own, removed when the run
 * ends, so what a test leaves there (a CDK assembly of each synth, 6-55 MB; a store a test kills
 * on purpose) does not pile up in the system's temp dir run after run. The test processes start
 * after this and inherit TMPDIR, and os.tmpdir() reads it. One dir, not one inside another per
 * project, and a short name: Chromium's profile socket must fit a Unix socket path (108 bytes).
 */
export default function setup(): () => void {
  if (process.env[RUN_TEMP_DIR]) return () => {};
  const previous = process.env.TMPDIR;
  const root = mkdtempSync(join(tmpdir(), 'aios-t-'));
  process.env[RUN_TEMP_DIR] = root;
  process.env.TMPDIR = root;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    delete process.env[RUN_TEMP_DIR];
    rmSync(root, { recursive: true, force: true });
  };
}
