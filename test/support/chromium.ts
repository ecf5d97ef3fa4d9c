import { existsSync } from 'node:fs';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
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

/** Debian's chromium, headless, with its profile in `profileDir` (a scratch dir the test removes). */
export function launchChromium(
  profileDir: string,
  viewport?: { width: number; height: number },
): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    ...(viewport ? { viewport } : {}),
  });
}

/** Reloads until the page shows `text`: the run moves on in the background. */
export async function reloadUntil(page: Page, text: string | RegExp): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    if ((await page.getByText(text).count()) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
    await page.reload();
  }
  throw new Error(`the page never showed ${text}`);
}

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
