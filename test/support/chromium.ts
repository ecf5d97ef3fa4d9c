import { existsSync } from 'node:fs';
import { describe, it } from 'vitest';

/**
 * Debian's chromium, which .ci/run installs; playwright-core never downloads a browser of its own.
 * AIOS_CHROMIUM names another binary (the skip test points it at one that does not exist).
 */
export const CHROMIUM = process.env.AIOS_CHROMIUM || '/usr/bin/chromium';

/** No GPU, no sandbox (root in CI), and none of the background traffic a closed network refuses. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const chromiumAvailable = () => existsSync(CHROMIUM);

/**
 * Stands in for a browser suite when chromium is missing: a test of its own that the runner counts
 * as skipped (not passed), with the reason printed on every run; in CI, where .ci/run should have
 * installed chromium, it fails instead.
 */
export function describeChromiumMissing(suite: string): void {
  const inCi = Boolean(process.env.CI) && process.env.CI !== 'false' && process.env.CI !== '0';
  describe(suite, () => {
    it(`needs Debian chromium at ${CHROMIUM}`, (context) => {
      if (inCi) {
        throw new Error(
          `chromium is missing: ${CHROMIUM} not found, so the browser test cannot run in CI; .ci/run installs it with apt-get install chromium`,
        );
      }
      const reason = `browser test skipped: ${CHROMIUM} not found; run .ci/run or apt-get install chromium`;
      console.warn(reason);
      context.skip(reason);
    });
  });
}
