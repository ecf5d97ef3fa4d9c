import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelPort } from '../../functions/core/ports.ts';
import { modelFromEnv } from '../../lib/local/model-from-env.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { draftThenSaveWorkflow } from '../integration/agents/workflows.ts';
import {
  chromiumAvailable,
  describeChromiumMissing,
  launchChromium,
  reloadUntil,
} from '../support/chromium.ts';
import { api, startTestRuntime } from '../support/local-runtime.ts';

const OUTPUT = fileURLToPath(new URL('../../test-results/console/', import.meta.url));
const NOTE = 'Acme pays on the 5th; remind them gently.';

/** The offline model's prices, but every call fails (not retryable): each model step is handed off. */
function failingModel(): ModelPort {
  const offline = modelFromEnv({}).model;
  return {
    converse: async () => {
      throw new Error('model crashed');
    },
    priceUsd: offline.priceUsd.bind(offline),
    modelFor: offline.modelFor.bind(offline),
  };
}

if (!chromiumAvailable()) {
  describeChromiumMissing('handoffs in the console inbox, in real Chromium');
} else {
  describe('handoffs in the console inbox, in real Chromium', () => {
    let runtime: LocalRuntime;
    let browser: BrowserContext;
    let scratch: string;

    beforeAll(async () => {
      scratch = await mkdtemp(join(tmpdir(), 'aios-browser-handoffs-'));
      await mkdir(OUTPUT, { recursive: true });
      runtime = await startTestRuntime({ workflows: [draftThenSaveWorkflow()], model: failingModel() });
      browser = await launchChromium(join(scratch, 'profile'), { width: 1100, height: 800 });
    });

    afterAll(async () => {
      await browser?.close();
      await runtime?.close();
      if (scratch) await rm(scratch, { recursive: true, force: true });
    });

    it('lists a handed-off step with what it gathered; writing its output from the inbox finishes the run', async () => {
      const started = await api<{ runId: string }>(runtime, 'POST', '/runs', {
        workflow: 'draft-note',
        input: { customerId: 'acme' },
      });
      expect(started.status).toBe(202);
      const { runId } = started.body;

      const page = await browser.newPage();
      await page.goto(`${runtime.url}/console/login`);
      await page.getByLabel('API token').fill(runtime.apiToken);
      await Promise.all([page.waitForURL(`${runtime.url}/console/runs`), page.keyboard.press('Enter')]);
      await page.goto(`${runtime.url}/console/inbox`);
      await reloadUntil(page, 'Write: Draft the note');
      expect(await page.getByText('The model could not do it:').textContent()).toMatch(/model crashed/);
      await page.getByText('What the step gathered').click();
      expect(await page.getByText('Write a one-line note for customer acme.').count()).toBe(1);
      expect(await page.getByText(/"customerId": "acme"/).count()).toBe(1);
      const html = await page.content();
      expect(html).not.toContain(runtime.apiToken);
      expect(html).not.toMatch(/taskToken|task token/i);
      await page.screenshot({ path: join(OUTPUT, 'inbox-handoff.png'), fullPage: true });

      await page.getByLabel('The text').fill(NOTE);
      await Promise.all([
        page.waitForURL(`${runtime.url}/console/inbox`),
        page.getByRole('button', { name: 'Complete the step' }).click(),
      ]);
      await expect
        .poll(async () => (await runtime.store.getRun(runId))?.status, { timeout: 30_000, interval: 100 })
        .toBe('SUCCEEDED');
      expect((await runtime.store.getEntity('customer', 'acme'))?.data).toMatchObject({ note: NOTE });
      await page.reload();
      expect(await page.getByText('Write: Draft the note').count()).toBe(0);
      expect(await page.getByText('Nothing waits for you.').count()).toBe(1);
      await page.close();
    });
  });
}
