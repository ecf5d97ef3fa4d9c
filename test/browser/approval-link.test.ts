import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDBLinkTokenUses } from '../../functions/adapters/aws/dynamodb-link-uses.ts';
import { createEmailOutbox } from '../../functions/adapters/local/email-outbox.ts';
import { createApprovalLinksApp } from '../../functions/app.ts';
import { createLinkTokens } from '../../functions/approvals/email/link-token.ts';
import { createEmailApprovalNotifier } from '../../functions/approvals/email/notifier.ts';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../lib/local/embedded-dynamodb.ts';
import { type LocalHttpServer, startLocalHttpServer } from '../../lib/local/http/index.ts';
import { TABLE_NAMES } from '../../lib/local/table-definitions.ts';
import { APPROVER, approvalFixture, createFakeApprovals } from '../integration/approvals/email/fakes.ts';
import { chromiumAvailable, describeChromiumMissing, launchChromium } from '../support/chromium.ts';

/** The response to the form's POST, the page the browser then shows. */
const postedFrom = (page: Page) =>
  page.waitForResponse(
    (response) => response.request().method() === 'POST' && response.request().isNavigationRequest(),
  );

if (!chromiumAvailable()) {
  describeChromiumMissing('approval link in real Chromium');
} else {
  describe('approval link in real Chromium', () => {
    const clock = { now: () => new Date() };
    const approval = approvalFixture({ approvalId: 'apr-browser-1' });
    const approvals = createFakeApprovals([approval], clock);
    let db: EmbeddedDynamoDB;
    let server: LocalHttpServer;
    let browser: BrowserContext;
    let scratch: string;
    let link: string;

    beforeAll(async () => {
      scratch = await mkdtemp(join(tmpdir(), 'aios-browser-'));
      db = await startEmbeddedDynamoDB({ tables: [TABLE_NAMES.state] });
      const tokens = createLinkTokens({ getKey: async () => 'browser-test-link-key-0123456789', clock });
      const app = createApprovalLinksApp({
        approvals,
        verify: tokens.verify,
        uses: createDynamoDBLinkTokenUses({ client: db.client, tableName: TABLE_NAMES.state }),
        clock,
      });
      server = await startLocalHttpServer({
        port: 0,
        fetch: app.fetch,
        logger: { error: (message, attributes) => console.error(message, attributes) },
      });
      browser = await launchChromium(join(scratch, 'profile'));
      // Keep the notifier's link: it is what the email carries and what the local runtime prints.
      const notifier = createEmailApprovalNotifier({
        transport: createEmailOutbox({ dir: join(scratch, 'outbox') }),
        from: 'aios@studio.example',
        publicBaseUrl: server.url,
        mint: tokens.mint,
      });
      link = (await notifier.notify(approval, APPROVER)).link;
    });

    afterAll(async () => {
      await browser?.close();
      await server?.close();
      await db?.close();
      if (scratch) await rm(scratch, { recursive: true, force: true });
    });

    it('opens the magic link, shows the summary, approves once, and shows "already" on a second try', async () => {
      // A mail scanner fetches the link first: it sees the page and decides nothing.
      const scanned = await fetch(link);
      expect(scanned.status).toBe(200);
      expect(approvals.decisions).toEqual([]);

      const page = await browser.newPage();
      const opened = await page.goto(link);
      expect(opened?.status()).toBe(200);
      expect(await page.locator('#summary').textContent()).toBe(approval.summary);
      expect(await page.locator('#approver').textContent()).toBe(APPROVER);
      // A second tab with the same link, still showing the form when the first one decides.
      const secondTab = await browser.newPage();
      await secondTab.goto(link);

      await page.locator('#note').fill('Checked the amount against the contract.');
      const [decided] = await Promise.all([
        postedFrom(page),
        page.getByRole('button', { name: 'Approve' }).click(),
      ]);
      await page.waitForLoadState('domcontentloaded');

      expect(decided.status()).toBe(200);
      expect(await page.locator('h1').textContent()).toBe('Approved — the run goes on');
      expect(approvals.decisions).toEqual([
        {
          approvalId: 'apr-browser-1',
          request: {
            outcome: 'approved',
            channel: 'email',
            by: APPROVER,
            note: 'Checked the amount against the contract.',
          },
        },
      ]);

      // Opening the link again shows who decided and when.
      const reopened = await page.goto(link);
      expect(reopened?.status()).toBe(409);
      expect(await page.locator('h1').textContent()).toMatch(
        new RegExp(
          `^Already approved by ${APPROVER.replace('.', '\\.')} at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC`,
        ),
      );

      // Pressing Approve again in the other tab uses the link a second time: refused, nothing decided.
      const [again] = await Promise.all([
        postedFrom(secondTab),
        secondTab.getByRole('button', { name: 'Approve' }).click(),
      ]);
      await secondTab.waitForLoadState('domcontentloaded');
      expect(again.status()).toBe(409);
      expect(await secondTab.locator('h1').textContent()).toBe('This link was already used');
      expect(await secondTab.locator('main').textContent()).toContain(`approved by ${APPROVER}`);
      expect(approvals.decisions).toHaveLength(1);
    });
  });
}
