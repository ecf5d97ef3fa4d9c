import { existsSync } from 'node:fs';
import { describe, it } from 'vitest';

/** Debian's chromium, which .ci/run installs; playwright-core never downloads a browser of its own. */
export const CHROMIUM = '/usr/bin/chromium';

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
 * Stands in for a browser suite when chromium is missing: a visible test of its own that says why
 * on every run, and fails in CI, where .ci/run should have installed it.
 */
export function describeChromiumMissing(suite: string): void {
  const inCi = Boolean(process.env.CI) && process.env.CI !== 'false' && process.env.CI !== '0';
  describe(suite, () => {
    it('needs Debian chromium at /usr/bin/chromium', () => {
      if (inCi) {
        throw new Error(
          'chromium is missing: /usr/bin/chromium not found, so the browser test cannot run in CI; .ci/run installs it with apt-get install chromium',
        );
      }
      console.warn(
        'browser test skipped: /usr/bin/chromium not found; run .ci/run or apt-get install chromium',
      );
    });
  });
}
