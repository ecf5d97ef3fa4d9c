import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const VITEST = join(ROOT, 'node_modules/vitest/vitest.mjs');

interface JsonReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  testResults: { assertionResults: { status: string; title: string; failureMessages: string[] }[] }[];
}

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'aios-browser-skip-'));
});
afterAll(() => rm(scratch, { recursive: true, force: true }));

/** Runs the browser tier in a child vitest as if chromium were not installed, and reads its JSON report. */
async function browserTierWithoutChromium(ci: boolean): Promise<JsonReport> {
  const outputFile = join(scratch, `report-${ci ? 'ci' : 'local'}.json`);
  // The child is a vitest of its own: none of this worker's VITEST_* variables, and CI only when asked.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('VITEST') && name !== 'CI'),
  );
  await new Promise<void>((resolve) => {
    execFile(
      process.execPath,
      [VITEST, 'run', '--project', 'browser', '--reporter=json', `--outputFile=${outputFile}`],
      {
        cwd: ROOT,
        env: { ...env, AIOS_CHROMIUM: join(scratch, 'no-chromium-here'), ...(ci ? { CI: 'true' } : {}) },
        timeout: 120_000,
      },
      () => resolve(),
    );
  });
  return JSON.parse(await readFile(outputFile, 'utf8')) as JsonReport;
}

describe('the browser tier without chromium', () => {
  it('counts each browser suite as skipped, not passed, outside CI', async () => {
    const report = await browserTierWithoutChromium(false);
    expect(report.numPassedTests).toBe(0);
    expect(report.numFailedTests).toBe(0);
    expect(report.numPendingTests).toBeGreaterThanOrEqual(2);
    const results = report.testResults.flatMap((file) => file.assertionResults);
    expect(results.every((r) => r.status === 'skipped' && /needs Debian chromium/.test(r.title))).toBe(true);
  });

  it('fails in CI, where chromium must be installed', async () => {
    const report = await browserTierWithoutChromium(true);
    expect(report.numPassedTests).toBe(0);
    expect(report.numFailedTests).toBeGreaterThanOrEqual(2);
    const failure = report.testResults.flatMap((file) => file.assertionResults)[0]?.failureMessages[0];
    expect(failure).toMatch(/chromium is missing: .* not found, so the browser test cannot run in CI/);
  });
});
