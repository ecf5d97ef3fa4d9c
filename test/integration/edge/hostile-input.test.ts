import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signSlackRequest } from '../../../functions/approvals/slack/signature.ts';
import type { Approval } from '../../../functions/core/approvals/approval.ts';
import type { LocalRuntime } from '../../../lib/local/runtime.ts';
import { api, scenarioWorkflow, startTestRuntime } from '../../support/local-runtime.ts';
import { startWebhookServer, type WebhookServer } from '../../support/webhook-server.ts';

/** One webhook call that waits for approval; its headers and body may be edited before approving. */
const gatedHook = () =>
  scenarioWorkflow({
    allowedActions: ['http.request'],
    policy: { rules: [{ action: 'http.request', decision: 'needs-approval', reason: 'checked first' }] },
    approval: { channels: ['slack', 'email'], editable: { 'http.request': ['headers', 'body'] } },
    steps: [
      {
        id: 'call-hook',
        title: 'Call the webhook',
        action: 'http.request',
        params: { url: '{{input.hook}}', method: 'POST', headers: {}, body: { amount: 10 } },
      },
    ],
  });

let runtime: LocalRuntime;
let hook: WebhookServer;
const links = new Map<string, string>();

beforeAll(async () => {
  hook = await startWebhookServer();
  runtime = await startTestRuntime({
    workflows: [gatedHook()],
    escalationIntervalMs: 3_600_000,
    onApprovalLink: (approval, _email, link) => links.set(approval.approvalId, link),
  });
});
afterAll(async () => {
  await runtime?.close();
  await hook?.close();
});

const withToken = (headers: Record<string, string> = {}) => ({
  authorization: `Bearer ${runtime.apiToken}`,
  ...headers,
});

/** Starts a run and waits until its approval has been sent out. */
async function pausedApproval(): Promise<Approval> {
  const started = await api<{ runId: string }>(runtime, 'POST', '/runs', {
    workflow: 'scenario',
    input: { hook: `${hook.url}/hook` },
  });
  for (let i = 0; i < 500; i += 1) {
    const approval = (await api<{ approvals: Approval[] }>(runtime, 'GET', '/approvals')).body.approvals.find(
      (a) => a.runId === started.body.runId && a.history.some((h) => h.event === 'notified'),
    );
    if (approval && links.has(approval.approvalId)) return approval;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('no approval was requested');
}

const statusOf = async (approvalId: string) =>
  (await api<{ approval: Approval }>(runtime, 'GET', `/approvals/${approvalId}`)).body.approval.status;

describe('hostile input at the edge', () => {
  it('query and header names such as __proto__, constructor and toString are plain names on every route', async () => {
    for (const route of runtime.routes) {
      const path = route.path.replace(/\{[^}]+\}/g, 'x');
      const response = await fetch(`${runtime.url}${path}?__proto__=a&constructor=b&toString=c&valueOf=d`, {
        method: route.method,
        headers: withToken({ constructor: 'x', toString: 'y', __proto__: 'z', hasOwnProperty: 'w' }),
      });
      expect(response.status, `${route.method} ${route.path}`).toBeLessThan(500);
    }
  });

  it('an id longer than the store can key is a 400 naming the parameter, on every route with an id', async () => {
    const long = 'a'.repeat(3000);
    // The console's pages take a session, not the token: without one they show the login page.
    const withId = runtime.routes.filter((r) => r.path.includes('{id}') && !r.path.startsWith('/console/'));
    for (const route of withId) {
      const query = route.path.endsWith('/link') ? '?token=abc' : '';
      const response = await fetch(`${runtime.url}${route.path.replace('{id}', long)}${query}`, {
        method: route.method,
        headers: withToken({
          'content-type': route.path.endsWith('/link')
            ? 'application/x-www-form-urlencoded'
            : 'application/json',
        }),
        body:
          route.method === 'POST'
            ? route.path.endsWith('/link')
              ? 'token=abc&decision=approve'
              : '{"decision":"approve"}'
            : undefined,
      });
      const text = await response.text();
      expect(response.status, `${route.method} ${route.path}: ${text.slice(0, 200)}`).toBe(400);
      expect(text, `${route.method} ${route.path}`).toMatch(/\bid\b.*at most \d+ characters/);
    }
  });

  it('an edit hidden under __proto__ in the API body is refused by name, and the approval stays pending', async () => {
    const approval = await pausedApproval();
    const decide = (params: unknown) =>
      fetch(`${runtime.url}/approvals/${approval.approvalId}/decision`, {
        method: 'POST',
        headers: withToken({ 'content-type': 'application/json' }),
        body: `{"decision":"approve","params":${JSON.stringify(params).replace('"proto"', '"__proto__"')}}`,
      });

    const top = await decide({ proto: { body: { amount: 1_000_000 } } });
    expect(top.status).toBe(400);
    expect(((await top.json()) as { message: string }).message).toMatch(
      /params\.__proto__: "__proto__" is not accepted/,
    );
    const nested = await decide({ headers: { proto: 'x', 'x-extra': 'y' } });
    expect(nested.status).toBe(400);
    expect(((await nested.json()) as { message: string }).message).toMatch(/params\.headers\.__proto__/);

    expect(await statusOf(approval.approvalId)).toBe('PENDING');
    expect(hook.deliveries).toHaveLength(0);
  });

  it('an edit hidden under __proto__ in the Slack edit modal is refused beside its field, and nothing is decided', async () => {
    const approval = await pausedApproval();
    const payload = {
      type: 'view_submission',
      user: { id: 'U0AIOSOPS' },
      view: {
        callback_id: 'aios_edit_submit',
        private_metadata: approval.approvalId,
        state: {
          values: {
            'param:headers': {
              value: { type: 'plain_text_input', value: '{"__proto__":"x","x-extra":"y"}' },
            },
          },
        },
      },
    };
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const timestamp = Math.floor(Date.now() / 1000);
    const response = await fetch(`${runtime.url}/slack/interactions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': signSlackRequest(runtime.slackSigningSecret, timestamp, body),
      },
      body,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      response_action: 'errors',
      errors: { 'param:headers': 'headers.__proto__: "__proto__" is not accepted as a key' },
    });
    expect(await statusOf(approval.approvalId)).toBe('PENDING');
  });

  it('a magic-link form with a field the page never sends (such as __proto__) is refused by name', async () => {
    const approval = await pausedApproval();
    const link = new URL(links.get(approval.approvalId) as string);
    const token = link.searchParams.get('token') as string;
    const response = await fetch(link.origin + link.pathname, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${encodeURIComponent(token)}&decision=approve&__proto__=x&params=y`,
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/__proto__/);
    expect(await statusOf(approval.approvalId)).toBe('PENDING');
  });
});
