import { readFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../../functions/api/routes.ts';
import { type AiosDev, startAiosDev } from '../../support/aios-dev.ts';

const OVERDUE = fileURLToPath(new URL('../../../playbooks/examples/overdue-invoice.json', import.meta.url));
let dev: AiosDev;
let base = '';
beforeAll(async () => {
  dev = await startAiosDev('aios-console-');
  base = `http://127.0.0.1:${dev.port}`;
});
afterAll(() => dev.stop());

const SESSION_ROUTES = new Set(['consoleHome', 'consoleLoginForm', 'consoleLogin', 'consoleLogout']);
const call = (path: string, init: RequestInit = {}) =>
  fetch(`${base}${path}`, { redirect: 'manual', ...init });
const form = (fields: Record<string, string>, cookie = '') => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
  body: new URLSearchParams(fields).toString(),
});
const runCount = async () => JSON.parse((await dev.aios(['runs', '--json'])).stdout).length as number;

/** Starts the overdue-invoice example from the workflows page's form, as the operator would. */
const startInvoiceRun = (
  csrf: string,
  cookie: string,
  reminderWebhookUrl = `${base}/local/webhooks/mailer`,
) =>
  call(
    '/console/workflows/invoice-follow-up/runs',
    form(
      {
        _csrf: csrf,
        input: JSON.stringify({ ...JSON.parse(readFileSync(OVERDUE, 'utf8')), reminderWebhookUrl }),
      },
      cookie,
    ),
  );

/**
 * A mailer that answers no reminder until released: a run stays at its send step (RUNNING) for as
 * long as the test needs, whatever the speed of the machine. The example runs to its end in well
 * under a second, sooner than a test can look at its page and cancel it.
 */
async function heldMailer() {
  const held: ServerResponse[] = [];
  const server = createServer((_request, response) => {
    held.push(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mailer`,
    async close() {
      for (const response of held) response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function login(): Promise<string> {
  const token = readFileSync(join(dev.dataDir, 'api-token'), 'utf8').trim();
  const response = await call('/console/login', form({ token }));
  expect(response.status).toBe(303);
  expect(response.headers.get('location')).toBe('/console/runs');
  const cookie = response.headers.get('set-cookie') ?? '';
  expect(cookie).toMatch(/HttpOnly/i);
  expect(cookie).toMatch(/SameSite=Strict/i);
  return cookie.split(';')[0] as string;
}

describe('the console served by `aios dev` at /console', () => {
  it('redirects / to the runs page', async () => {
    const response = await call('/');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/console/runs');
  });

  it('sends every console route without a session to the login page, with nothing in the body', async () => {
    const guarded = ROUTES.filter((route) => route.auth === 'console' && !SESSION_ROUTES.has(route.id));
    expect(guarded.length).toBeGreaterThan(5);
    for (const route of guarded) {
      const response = await call(route.path.replace(/\{[^}]+\}/g, 'invoice-follow-up'), {
        method: route.method,
      });
      expect(response.status, route.path).toBe(303);
      expect(response.headers.get('location'), route.path).toBe('/console/login');
      expect(await response.text(), route.path).toBe('');
    }
  });

  it('refuses a wrong token, and shows the pages to a logged-in operator', async () => {
    expect((await call('/console/login', form({ token: 'nope' }))).status).toBe(401);
    const cookie = await login();
    for (const path of ['/console/runs', '/console/inbox', '/console/workflows']) {
      const response = await call(path, { headers: { cookie } });
      expect(response.status, path).toBe(200);
      const html = await response.text();
      expect(html.startsWith('<!doctype html>'), path).toBe(true);
      expect(html, path).toMatch(/<title>/);
    }
  });

  it('starts a run from the workflow page with the CSRF token, and a POST without it changes nothing', async () => {
    const cookie = await login();
    const before = await runCount();
    const refused = await call('/console/workflows/invoice-follow-up/runs', form({ input: '{}' }, cookie));
    expect(refused.status).toBe(403);
    expect(await runCount()).toBe(before);

    const page = await (await call('/console/workflows', { headers: { cookie } })).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
    expect(csrf).not.toBe('');
    const started = await startInvoiceRun(csrf, cookie);
    expect(started.status, await started.clone().text()).toBe(303);
    const location = started.headers.get('location') ?? '';
    expect(location).toMatch(/^\/console\/runs\/invoice-follow-up-/);
    expect(await runCount()).toBe(before + 1);
    const runPage = await call(location, { headers: { cookie } });
    expect(runPage.status).toBe(200);
    expect(await runPage.text()).toMatch(/invoice-follow-up/);
  });

  it('cancels a waiting run from its page, then reruns it as a new linked run; no CSRF token, no change', async () => {
    const mailer = await heldMailer();
    try {
      await cancelThenRerun(mailer.url);
    } finally {
      await mailer.close();
    }
  });
});

/** The run is held at its send step by the mailer at `reminderWebhookUrl` while the operator acts. */
async function cancelThenRerun(reminderWebhookUrl: string) {
  const cookie = await login();
  const page = await (await call('/console/workflows', { headers: { cookie } })).text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
  const started = await startInvoiceRun(csrf, cookie, reminderWebhookUrl);
  const runPath = started.headers.get('location') ?? '';
  const runId = decodeURIComponent(runPath.slice('/console/runs/'.length));
  const statusOf = async (id: string) =>
    (JSON.parse((await dev.aios(['runs', '--json'])).stdout) as { runId: string; status: string }[]).find(
      (run) => run.runId === id,
    )?.status;
  const runPage = await (await call(runPath, { headers: { cookie } })).text();
  expect(runPage).toContain('value="cancel"');
  expect(runPage).not.toContain('value="retry"');

  const refused = await call(`${runPath}/control`, form({ action: 'cancel' }, cookie));
  expect(refused.status).toBe(403);
  expect(await statusOf(runId)).not.toBe('CANCELLED');
  const bad = await call(`${runPath}/control`, form({ _csrf: csrf, action: 'explode' }, cookie));
  expect(bad.status).toBe(400);
  expect(await bad.text()).toMatch(/action/);

  const cancelled = await call(
    `${runPath}/control`,
    form({ _csrf: csrf, action: 'cancel', reason: 'wrong customer' }, cookie),
  );
  expect(cancelled.status, await cancelled.clone().text()).toBe(303);
  expect(cancelled.headers.get('location')).toBe(runPath);
  expect(await statusOf(runId)).toBe('CANCELLED');
  const afterCancel = await (await call(runPath, { headers: { cookie } })).text();
  expect(afterCancel).not.toContain('value="cancel"');
  expect(afterCancel).toContain('value="rerun"');

  const before = await runCount();
  const rerun = await call(`${runPath}/control`, form({ _csrf: csrf, action: 'rerun' }, cookie));
  expect(rerun.status, await rerun.clone().text()).toBe(303);
  const rerunPath = rerun.headers.get('location') ?? '';
  expect(rerunPath).toMatch(/^\/console\/runs\/invoice-follow-up-/);
  expect(rerunPath).not.toBe(runPath);
  expect(await runCount()).toBe(before + 1);
}
