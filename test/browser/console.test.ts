import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shippedCatalog } from '../../functions/shipped-playbooks.ts';
import { ACTION_DLQ, ACTION_QUEUE, type LocalRuntime } from '../../lib/local/runtime.ts';
import {
  chromiumAvailable,
  describeChromiumMissing,
  launchChromium,
  reloadUntil,
} from '../support/chromium.ts';
import { startTestRuntime } from '../support/local-runtime.ts';

/** Where this test leaves a screenshot of each page (gitignored; README's comes from here). */
const OUTPUT = fileURLToPath(new URL('../../test-results/console/', import.meta.url));
const EDITED_SUBJECT = 'Welcome aboard, Acme: your first invoice';

if (!chromiumAvailable()) {
  describeChromiumMissing('the operator console in real Chromium');
} else {
  describe('the operator console in real Chromium', () => {
    let runtime: LocalRuntime;
    let browser: BrowserContext;
    let scratch: string;

    beforeAll(async () => {
      scratch = await mkdtemp(join(tmpdir(), 'aios-browser-console-'));
      await mkdir(OUTPUT, { recursive: true });
      runtime = await startTestRuntime({ workflows: [shippedCatalog.get('onboarding')] });
      browser = await launchChromium(join(scratch, 'profile'), { width: 1100, height: 800 });
    });

    afterAll(async () => {
      await browser?.close();
      await runtime?.close();
      if (scratch) await rm(scratch, { recursive: true, force: true });
    });

    const shot = (page: Page, name: string) =>
      page.screenshot({ path: join(OUTPUT, `${name}.png`), fullPage: true });
    it('without a session sends every page to the login page', async () => {
      const page = await browser.newPage();
      const response = await page.goto(`${runtime.url}/console/inbox`);
      expect(page.url()).toBe(`${runtime.url}/console/login`);
      expect(response?.status()).toBe(200);
      await shot(page, 'login');
      await page.close();
    });

    it('logs in, starts onboarding, approves it from the inbox with an edit, and sees it succeed and counted', async () => {
      const page = await browser.newPage();
      await page.goto(`${runtime.url}/`);
      await page.getByLabel('API token').fill(runtime.apiToken);
      await Promise.all([page.waitForURL(`${runtime.url}/console/runs`), page.keyboard.press('Enter')]);

      await page.goto(`${runtime.url}/console/workflows`);
      await page.getByLabel('Input (JSON)').fill(
        JSON.stringify({
          customerId: 'acme',
          name: 'Acme Studio',
          email: 'billing@acme.example',
          setupFee: 1500,
          crmWebhookUrl: `${runtime.url}/local/webhooks/crm`,
        }),
      );
      await shot(page, 'workflows-before');
      await Promise.all([
        page.waitForURL(/\/console\/runs\/onboarding-/),
        page.getByRole('button', { name: 'Start onboarding' }).click(),
      ]);
      const runUrl = page.url();

      await page.goto(`${runtime.url}/console/inbox`);
      await reloadUntil(page, /Send the first invoice/);
      await shot(page, 'inbox');
      await page.getByLabel('Edit subject').fill(EDITED_SUBJECT);
      await Promise.all([
        page.waitForURL(`${runtime.url}/console/inbox`),
        page.getByRole('button', { name: 'Approve (with edits)' }).click(),
      ]);

      const runId = decodeURIComponent(runUrl.split('/').pop() ?? '');
      await expect
        .poll(async () => (await runtime.store.getRun(runId))?.status, { timeout: 30_000, interval: 100 })
        .toBe('SUCCEEDED');
      await page.goto(runUrl);
      expect(await page.locator('main > p').first().textContent()).toMatch(/^succeeded/);
      expect(await page.getByText(`subject: ${EDITED_SUBJECT}`).count()).toBe(1);
      // The inbox said when it was opened: the decision's own time is measured.
      expect(await page.getByText(/\(opened [^)]+, decided in \d+\.\d s\)/).count()).toBe(1);
      await shot(page, 'run');
      await page.goto(`${runtime.url}/console/runs`);
      await shot(page, 'runs');

      await page.goto(`${runtime.url}/console/workflows`);
      await expect.poll(() => page.getByText('1: 1 succeeded, 0 failed').count()).toBe(1);
      expect(await page.getByText('0 rejected, 1 edited').count()).toBe(1);
      // The chart is fed the day's figures: the run's day has a bar saying one run and its cost.
      const today = (await runtime.store.getRun(runId))?.createdAt.slice(0, 10);
      const chart = page.getByRole('img', { name: 'onboarding: runs and cost per day' });
      expect(await chart.locator('rect > title').allTextContents()).toContainEqual(
        expect.stringMatching(new RegExp(`^${today}: 1 run, \\$0\\.\\d{4}$`)),
      );
      await shot(page, 'workflows');
      await page.close();
    });

    async function logIn(page: Page, on: LocalRuntime = runtime) {
      await page.goto(`${on.url}/console/login`);
      await page.getByLabel('API token').fill(on.apiToken);
      await Promise.all([page.waitForURL(`${on.url}/console/runs`), page.keyboard.press('Enter')]);
    }

    it('shows the connectors with their breakers and redrives the dead letters', async () => {
      // A runtime of its own whose gateway gives up on its second try: a poison message is a dead
      // letter within seconds, and stays off the dead-letter queue for 5 s after a redrive.
      const gateway = await startTestRuntime({
        workflows: [shippedCatalog.get('onboarding')],
        visibilityTimeoutSeconds: 5,
        maxReceiveCount: 1,
      });
      try {
        await gateway.queue.send(
          ACTION_QUEUE,
          JSON.stringify({
            runId: 'onboarding-dead',
            stepIndex: 1,
            action: { type: 'http.request' },
            taskToken: 'secret-task-token',
            grant: 'secret-grant',
          }),
        );
        await expect
          .poll(async () => (await gateway.queue.list(ACTION_DLQ)).length, { timeout: 30_000, interval: 100 })
          .toBe(1);
        const page = await browser.newPage();
        await logIn(page, gateway);
        await page.goto(`${gateway.url}/console/connectors`);
        expect(await page.title()).toBe('Connectors and dead letters · aios');
        const http = page.getByRole('row').filter({ hasText: 'http.request' });
        expect(await http.getByRole('cell').allTextContents()).toEqual(['http.request', 'write', 'closed']);
        expect(await page.getByRole('link', { name: 'onboarding-dead' }).count()).toBe(1);
        const html = await page.content();
        expect(html).not.toContain('secret-task-token');
        expect(html).not.toContain('secret-grant');
        await shot(page, 'connectors');
        await Promise.all([
          page.waitForURL(`${gateway.url}/console/connectors`),
          page.getByRole('button', { name: 'Send all 1 back to the action queue' }).click(),
        ]);
        expect(await page.getByText('None: the gateway gave up on nothing.').count()).toBe(1);
        const requeued = (await gateway.queue.list(ACTION_QUEUE)).map((m) => JSON.parse(m.body).runId);
        expect(requeued).toEqual(['onboarding-dead']);
        await page.close();
      } finally {
        await gateway.close();
      }
    });

    it('searches memory and shows each hit with its scores and origin', async () => {
      await runtime.memory.service.write({
        namespace: 'customer:acme',
        kind: 'preference',
        text: 'Acme wants invoices in euros, sent on the first Monday of the month.',
        origin: { runId: 'onboarding-earlier' },
      });
      const page = await browser.newPage();
      await logIn(page);
      await page.goto(`${runtime.url}/console/memory`);
      await page.getByLabel('Search for').fill('invoices in euros');
      await page.getByLabel('Namespace').fill('customer:acme');
      await Promise.all([
        page.waitForURL(/\/console\/memory\?q=/),
        page.getByRole('button', { name: 'Search' }).click(),
      ]);
      const hit = page.getByRole('listitem').filter({ hasText: 'Acme wants invoices in euros' });
      expect(await hit.count()).toBe(1);
      expect(await hit.textContent()).toMatch(
        /score \d\.\d{3} \(vector \d\.\d{3}, lexical \d\.\d{3}\) · customer:acme preference long-term · .+ from run onboarding-earlier/,
      );
      await shot(page, 'memory');
      await page.getByLabel('Namespace').fill('Not A Namespace');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.waitForURL(/namespace=Not/);
      expect(await page.getByRole('alert').textContent()).toMatch(/namespace/);
      await page.close();
    });

    it('a POST without the CSRF token changes nothing', async () => {
      const before = (await runtime.store.listRuns({ limit: 200 })).length;
      const response = await browser.request.post(`${runtime.url}/console/workflows/onboarding/runs`, {
        form: { input: '{}' },
        maxRedirects: 0,
      });
      expect(response.status()).toBe(403);
      expect((await runtime.store.listRuns({ limit: 200 })).length).toBe(before);
    });
  });
}
