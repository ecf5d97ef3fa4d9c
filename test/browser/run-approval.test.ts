import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shippedCatalog } from '../../functions/shipped-playbooks.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { chromiumAvailable, describeChromiumMissing, launchChromium } from '../support/chromium.ts';
import { api, startTestRuntime, waitForRun } from '../support/local-runtime.ts';

if (!chromiumAvailable()) {
  describeChromiumMissing('onboarding approved from the magic link in real Chromium');
} else {
  describe('onboarding approved from the magic link in real Chromium', () => {
    let runtime: LocalRuntime;
    let browser: BrowserContext;
    let scratch: string;
    const links: string[] = [];

    beforeAll(async () => {
      scratch = await mkdtemp(join(tmpdir(), 'aios-browser-run-'));
      runtime = await startTestRuntime({
        workflows: [shippedCatalog.get('onboarding')],
        onApprovalLink: (_approval, _email, link) => links.push(link),
      });
      browser = await launchChromium(join(scratch, 'profile'));
    });

    afterAll(async () => {
      await browser?.close();
      await runtime?.close();
      if (scratch) await rm(scratch, { recursive: true, force: true });
    });

    it('runs onboarding, pauses on the invoice email, and completes once Approve is pressed on the page', async () => {
      const started = await api<{ runId: string }>(runtime, 'POST', '/runs', {
        workflow: 'onboarding',
        input: {
          customerId: 'acme',
          name: 'Acme Studio',
          email: 'billing@acme.example',
          setupFee: 1500,
          crmWebhookUrl: `${runtime.url}/local/webhooks/crm`,
        },
      });
      for (let i = 0; i < 300 && links.length === 0; i += 1)
        await new Promise((resolve) => setTimeout(resolve, 20));
      expect(links).toHaveLength(1);

      const page = await browser.newPage();
      expect((await page.goto(links[0] as string))?.status()).toBe(200);
      expect(await page.locator('#summary').textContent()).toMatch(/^Send the first invoice: email\.send/);
      await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST' && r.request().isNavigationRequest()),
        page.getByRole('button', { name: 'Approve' }).click(),
      ]);
      await page.waitForLoadState('domcontentloaded');
      expect(await page.locator('h1').textContent()).toBe('Approved — the run goes on');

      const details = await waitForRun(runtime, started.body.runId);
      expect(details.run.status).toBe('SUCCEEDED');
      expect(details.intents.find((i) => i.stepId === 'send-first-invoice')).toMatchObject({
        status: 'SUCCEEDED',
      });
    });
  });
}
