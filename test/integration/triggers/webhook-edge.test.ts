import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { secretsManagerWebhookSecrets } from '../../../functions/adapters/aws/secrets-manager-webhook-secrets.ts';
import { signWebhook } from '../../../functions/core/triggers/webhook-signature.ts';
import { respondToWebhook } from '../../../functions/hooks/webhook-response.ts';
import { localWebhookSecrets } from '../../../lib/local/hook-secrets.ts';
import { HOOK_SECRET, triggerHarness } from '../../support/trigger-harness.ts';

const EVENT = readFileSync(
  new URL('../../../playbooks/examples/payment-event.json', import.meta.url),
  'utf8',
);

describe('POST /hooks/{playbook} as status codes', () => {
  const logged: unknown[] = [];
  const respond = (
    t: ReturnType<typeof triggerHarness>,
    body: string,
    options: { playbook?: string; secret?: string } = {},
  ) =>
    respondToWebhook(
      t.hooks,
      {
        playbook: options.playbook ?? 'payment-received',
        signature: signWebhook(options.secret ?? HOOK_SECRET, body, t.domainClock.now()),
        body,
      },
      (error) => logged.push(error),
    );

  it('202 for a new event, 200 replayed for the same again, and one run', async () => {
    const t = triggerHarness();
    const first = await respond(t, EVENT);
    expect(first.status).toBe(202);
    const again = await respond(t, EVENT);
    expect(again).toEqual({ status: 200, body: { ...first.body, replayed: true } });
    expect(await t.store.listRuns()).toHaveLength(1);
  });

  it('401 forged, 404 wrong playbook, 400 naming the field, 409 an id reused, 413 too large: none starts a run', async () => {
    const t = triggerHarness();
    expect((await respond(t, EVENT, { secret: 'forged' })).status).toBe(401);
    expect((await respond(t, EVENT, { playbook: 'onboarding' })).status).toBe(404);
    const bad = await respond(t, EVENT.replace('"EUR"', '"euro"'));
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('body.currency');
    expect((await respond(t, JSON.stringify({ id: 'x', pad: 'a'.repeat(70_000) }))).status).toBe(413);
    expect(await t.store.listRuns()).toHaveLength(0);
    await respond(t, EVENT);
    expect((await respond(t, EVENT.replace('1500', '15'))).status).toBe(409);
    expect(await t.store.listRuns()).toHaveLength(1);
    expect(logged).toEqual([]);
  });

  it('500 with a generic body when the secret cannot be read; the cause goes to the log only', async () => {
    const t = triggerHarness();
    const failing = await respondToWebhook(
      {
        receive: async () => {
          throw new Error('secret store down: arn:aws:secretsmanager:...');
        },
      },
      { playbook: 'payment-received', signature: undefined, body: EVENT },
      (error) => logged.push(error),
    );
    expect(failing.status).toBe(500);
    expect(JSON.stringify(failing.body)).not.toContain('secret store');
    expect(logged).toHaveLength(1);
    expect(await t.store.listRuns()).toHaveLength(0);
  });
});

describe('hook secrets', () => {
  it('locally: created on first start for every webhook playbook, 0600, and the same afterwards', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aios-hooks-'));
    const t = triggerHarness();
    const secrets = localWebhookSecrets(dir);
    await secrets.ensureAll(t.catalog);
    const file = join(dir, 'hooks', 'payment-received');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const secret = await secrets.secretOf('payment-received');
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(file, 'utf8').trim()).toBe(secret);
    expect(await localWebhookSecrets(dir).secretOf('payment-received')).toBe(secret);
    expect(() => statSync(join(dir, 'hooks', 'invoice-follow-up'))).toThrow();
  });

  it('on AWS: read from <prefix>/hooks/<playbook> in Secrets Manager', async () => {
    const asked: string[] = [];
    const secrets = secretsManagerWebhookSecrets({
      prefix: 'Aios',
      fetchSecret: async (name) => {
        asked.push(name);
        return ' s3cret \n';
      },
    });
    expect(await secrets.secretOf('payment-received')).toBe('s3cret');
    expect(asked).toEqual(['Aios/hooks/payment-received']);
  });
});
