import { afterEach, describe, expect, it } from 'vitest';
import type { ReviewItem } from '../../../functions/core/trust/schemas.ts';
import type { LocalRuntime } from '../../../lib/local/runtime.ts';
import { api, scenarioWorkflow, startTestRuntime, waitForRun } from '../../support/local-runtime.ts';
import { startWebhookServer, type WebhookServer } from '../../support/webhook-server.ts';

let runtime: LocalRuntime | undefined;
let hooks: WebhookServer | undefined;
afterEach(async () => {
  await runtime?.close();
  await hooks?.close();
  runtime = undefined;
  hooks = undefined;
});

const form = (fields: Record<string, string>, cookie: string) => ({
  method: 'POST',
  redirect: 'manual' as const,
  headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
  body: new URLSearchParams(fields).toString(),
});

describe("shadow reviews in the console's inbox", () => {
  it('lists what a shadow run would have done and takes each verdict, CSRF-checked', async () => {
    hooks = await startWebhookServer();
    const rt = await startTestRuntime({ workflows: [scenarioWorkflow({ mode: 'shadow' })] });
    runtime = rt;
    const { runId } = (
      await api<{ runId: string }>(rt, 'POST', '/runs', { workflow: 'scenario', input: { hook: hooks.url } })
    ).body;
    expect((await waitForRun(rt, runId)).run.status).toBe('SUCCEEDED');

    const login = await fetch(`${rt.url}/console/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: rt.apiToken }).toString(),
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const inbox = await (await fetch(`${rt.url}/console/inbox`, { headers: { cookie } })).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(inbox)?.[1] ?? '';
    const reviews = (await api<{ reviews: ReviewItem[] }>(rt, 'GET', '/reviews')).body.reviews;
    expect(reviews).toHaveLength(2);
    const [first, second] = reviews as [ReviewItem, ReviewItem];
    for (const review of reviews) {
      expect(inbox).toContain(`Shadow review: ${review.title}`);
      expect(inbox).toContain(`/console/reviews/${review.reviewId}`);
    }

    // No CSRF token: nothing judged. A "change" without the change: refused, naming it.
    const noCsrf = await fetch(
      `${rt.url}/console/reviews/${first.reviewId}`,
      form({ verdict: 'agree' }, cookie),
    );
    expect(noCsrf.status).toBe(403);
    const noChange = await fetch(
      `${rt.url}/console/reviews/${first.reviewId}`,
      form({ _csrf: csrf, verdict: 'change', change: '' }, cookie),
    );
    expect(noChange.status).toBe(400);
    expect(await noChange.text()).toMatch(/change/);
    expect((await api<{ reviews: ReviewItem[] }>(rt, 'GET', '/reviews')).body.reviews).toHaveLength(2);

    const agreed = await fetch(
      `${rt.url}/console/reviews/${first.reviewId}`,
      form({ _csrf: csrf, verdict: 'agree' }, cookie),
    );
    expect(agreed.status).toBe(303);
    const changed = await fetch(
      `${rt.url}/console/reviews/${second.reviewId}`,
      form(
        { _csrf: csrf, verdict: 'change', change: '{"url":"https://example.com/other"}', note: 'other hook' },
        cookie,
      ),
    );
    expect(changed.status, await changed.clone().text()).toBe(303);
    expect((await api<{ reviews: ReviewItem[] }>(rt, 'GET', '/reviews')).body.reviews).toEqual([]);
    const trust = (
      await api<{ agreement: { judged: number; agreed: number }[] }>(rt, 'GET', '/workflows/scenario/trust')
    ).body;
    expect(trust.agreement[0]).toMatchObject({ judged: 2, agreed: 1 });
  });
});
