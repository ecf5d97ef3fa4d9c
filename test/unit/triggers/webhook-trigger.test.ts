import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError } from '../../../functions/core/errors.ts';
import { WebhookEventReusedError, WebhookSignatureError } from '../../../functions/core/triggers/errors.ts';
import { signWebhook, verifyWebhookSignature } from '../../../functions/core/triggers/webhook-signature.ts';
import { createWebhookTrigger } from '../../../functions/core/triggers/webhook-trigger.ts';
import { HOOK_SECRET, triggerHarness } from '../../support/trigger-harness.ts';

const EVENT = readFileSync(
  new URL('../../../playbooks/examples/payment-event.json', import.meta.url),
  'utf8',
);

function deliver(
  t: ReturnType<typeof triggerHarness>,
  body = EVENT,
  options: { secret?: string; at?: Date } = {},
) {
  const signature = signWebhook(options.secret ?? HOOK_SECRET, body, options.at ?? t.domainClock.now());
  return t.hooks.receive({ playbook: 'payment-received', signature, body });
}

describe('signed webhooks start runs', () => {
  it('a correctly signed event starts one run with the input the schema picks from the body', async () => {
    const t = triggerHarness();
    const outcome = await deliver(t);
    expect(outcome).toMatchObject({ eventId: 'evt_0001', replayed: false });
    const run = await t.store.getRun(outcome.runId);
    expect(run?.workflow).toBe('payment-received');
    // `id` and `type` are the event's, not inputs of the playbook.
    expect(run?.input).toEqual({
      invoiceId: 'acme-0001',
      customerName: 'Acme Studio',
      customerEmail: 'billing@acme.example',
      amount: 1500,
      currency: 'EUR',
      paidAt: '2026-12-01T10:00:00Z',
    });
    expect(t.sfn.starts).toEqual([outcome.runId]);
  });

  it('the same event again (signed anew, as a sender retries) starts none', async () => {
    const t = triggerHarness();
    const first = await deliver(t);
    t.clock.advance(3_600_000);
    const again = await deliver(t);
    expect(again).toEqual({ runId: first.runId, eventId: 'evt_0001', replayed: true });
    expect(await t.store.listRuns()).toHaveLength(1);
    expect(t.sfn.executions.size).toBe(1);
  });

  it('the same event id with another body is refused and starts nothing', async () => {
    const t = triggerHarness();
    await deliver(t);
    const other = EVENT.replace('1500', '1600');
    await expect(deliver(t, other)).rejects.toThrow(WebhookEventReusedError);
    expect(await t.store.listRuns()).toHaveLength(1);
  });

  it.each([
    ['a forged signature', { secret: 'not-the-secret' }],
    ['a stale timestamp', { at: new Date(Date.parse('2026-12-07T07:00:00Z') - 301_000) }],
    ['a timestamp from the future', { at: new Date(Date.parse('2026-12-07T07:00:00Z') + 301_000) }],
  ])('%s gets 401 and starts nothing', async (_, options) => {
    const t = triggerHarness();
    await expect(deliver(t, EVENT, options)).rejects.toThrow(WebhookSignatureError);
    expect(await t.store.listRuns()).toHaveLength(0);
    expect(t.events.events.size).toBe(0);
  });

  it('a body one byte changed after signing gets 401 and starts nothing', async () => {
    const t = triggerHarness();
    const signature = signWebhook(HOOK_SECRET, EVENT, t.domainClock.now());
    const changed = EVENT.replace('1500', '1501');
    await expect(t.hooks.receive({ playbook: 'payment-received', signature, body: changed })).rejects.toThrow(
      'does not match',
    );
    expect(await t.store.listRuns()).toHaveLength(0);
  });

  it.each([
    [undefined, 'missing'],
    ['', 'missing'],
    ['v1=abc', 't=<unix seconds>'],
    ['t=now,v1=00', 't=<unix seconds>'],
  ])('a missing or malformed header (%s) gets 401', async (signature, reason) => {
    const t = triggerHarness();
    await expect(t.hooks.receive({ playbook: 'payment-received', signature, body: EVENT })).rejects.toThrow(
      reason,
    );
  });

  it('accepts either of two v1 signatures, as a sender rotating its secret sends', () => {
    const now = new Date('2026-12-07T07:00:00Z');
    const fresh = signWebhook(HOOK_SECRET, EVENT, now);
    const old = signWebhook('old-secret', EVENT, now);
    const both = `${old},${fresh.split(',')[1]}`;
    expect(() => verifyWebhookSignature(HOOK_SECRET, both, EVENT, now)).not.toThrow();
    expect(() => verifyWebhookSignature(HOOK_SECRET, old, EVENT, now)).toThrow(WebhookSignatureError);
  });

  it('a playbook that takes no webhooks, or does not exist, gets 404 before the signature is read', async () => {
    const t = triggerHarness();
    let secretsRead = 0;
    const hooks = createWebhookTrigger({
      catalog: t.catalog,
      runs: t.runs,
      events: t.events,
      secrets: {
        async secretOf() {
          secretsRead += 1;
          return HOOK_SECRET;
        },
      },
      clock: t.domainClock,
    });
    for (const playbook of ['invoice-follow-up', 'nope']) {
      const signature = signWebhook(HOOK_SECRET, EVENT, t.domainClock.now());
      await expect(hooks.receive({ playbook, signature, body: EVENT })).rejects.toThrow(NotFoundError);
    }
    expect(secretsRead).toBe(0);
    expect(await t.store.listRuns()).toHaveLength(0);
  });

  it.each([
    ['a body that is not JSON', 'not json', 'body'],
    ['a body that is a list', '[1]', 'must be a JSON object'],
    [
      'a body without an id',
      JSON.stringify({ ...JSON.parse(EVENT), id: undefined }),
      'id: must be the event id',
    ],
    ['an amount that is not a number', EVENT.replace('1500', '"lots"'), 'body.amount'],
    ['a bad email', EVENT.replace('billing@acme.example', 'nobody'), 'body.customerEmail'],
    [
      'a missing required field',
      JSON.stringify({ ...JSON.parse(EVENT), invoiceId: undefined }),
      'body.invoiceId',
    ],
  ])('%s gets 400 naming the field and starts nothing', async (_, body, field) => {
    const t = triggerHarness();
    const failure = deliver(t, body);
    await expect(failure).rejects.toThrow(ValidationError);
    await expect(deliver(t, body)).rejects.toThrow(field);
    expect(await t.store.listRuns()).toHaveLength(0);
    expect(t.events.events.size).toBe(0);
  });
});
