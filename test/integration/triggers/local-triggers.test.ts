import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCatalog } from '../../../functions/core/catalog.ts';
import { signWebhook } from '../../../functions/core/triggers/webhook-signature.ts';
import { type LocalRuntime, startLocalRuntime } from '../../../lib/local/runtime.ts';
import invoiceFollowUp from '../../../playbooks/invoice-follow-up.json' with { type: 'json' };
import paymentReceived from '../../../playbooks/payment-received.json' with { type: 'json' };
import { runAios } from '../../support/aios-dev.ts';
import { ManualClock } from '../../unit/asl/manual-clock.ts';

const EVENT = readFileSync(
  new URL('../../../playbooks/examples/payment-event.json', import.meta.url),
  'utf8',
);
// A Monday, 07:00 UTC: invoice-follow-up fires at 09:00.
const START = Date.parse('2026-12-07T07:00:00.000Z');

let dataDir: string;
let runtime: LocalRuntime;
const clock = new ManualClock(START);
let secret: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'aios-triggers-'));
  runtime = await startLocalRuntime({
    port: 0,
    dataDir,
    catalog: createCatalog([invoiceFollowUp, paymentReceived]),
    timeScale: 0.01,
    pollIntervalMs: 20,
    schedulerClock: clock,
  });
  // Created at start for every webhook playbook.
  secret = readFileSync(join(dataDir, 'hooks', 'payment-received'), 'utf8').trim();
});
afterAll(async () => {
  await runtime?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const hook = (body: string, signature: string | undefined, playbook = 'payment-received') =>
  fetch(`${runtime.url}/hooks/${playbook}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(signature ? { 'aios-signature': signature } : {}) },
    body,
  });
const runsOf = async (workflow: string) =>
  (await runtime.store.listRuns()).filter((r) => r.workflow === workflow);
const aios = (args: string[]) =>
  runAios(args, { AIOS_API_URL: runtime.url, AIOS_DATA_DIR: dataDir, AIOS_TARGET: 'local' });

describe('webhooks on the local runtime, over HTTP', () => {
  it('a signed event starts one run; the same event again starts none', async () => {
    const first = await hook(EVENT, signWebhook(secret, EVENT, new Date()));
    expect(first.status).toBe(202);
    const { runId } = (await first.json()) as { runId: string };
    const again = await hook(EVENT, signWebhook(secret, EVENT, new Date()));
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ runId, replayed: true });
    expect((await runsOf('payment-received')).map((r) => r.runId)).toEqual([runId]);
  });

  it('forged, unsigned, stale, changed, wrong playbook and bad body: the documented 4xx, and nothing starts', async () => {
    const other = EVENT.replace('evt_0001', 'evt_0002');
    const now = new Date();
    const refusals: [string, Response][] = [
      ['forged', await hook(other, signWebhook('not-the-secret', other, now))],
      ['unsigned', await hook(other, undefined)],
      ['stale', await hook(other, signWebhook(secret, other, new Date(now.getTime() - 301_000)))],
      ['one byte changed', await hook(other.replace('1500', '1501'), signWebhook(secret, other, now))],
      ['wrong playbook', await hook(other, signWebhook(secret, other, now), 'invoice-follow-up')],
    ];
    expect(refusals.map(([what, r]) => `${what} ${r.status}`)).toEqual([
      'forged 401',
      'unsigned 401',
      'stale 401',
      'one byte changed 401',
      'wrong playbook 404',
    ]);
    const bad = other.replace('"EUR"', '"euro"');
    const refused = await hook(bad, signWebhook(secret, bad, now));
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { message: string }).message).toContain('body.currency');
    expect(await runsOf('payment-received')).toHaveLength(1);
  });
});

describe('schedules on the local runtime', () => {
  it('`aios schedules` shows the next fire; the scheduler fires it once at its time; `schedules fire` starts a run', async () => {
    const listed = await aios(['schedules']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('invoice-follow-up v');
    expect(listed.stdout).toContain('next: 2026-12-07T09:00:00.000Z');
    expect(await runsOf('invoice-follow-up')).toHaveLength(0);

    clock.advanceTo(Date.parse('2026-12-07T09:00:01.000Z'));
    await runtime.schedules.pass();
    await runtime.schedules.pass();
    const scheduled = await runsOf('invoice-follow-up');
    expect(scheduled).toHaveLength(1);
    const json = JSON.parse((await aios(['schedules', '--json'])).stdout) as {
      lastFire?: { runId: string; scheduledAt: string };
    }[];
    expect(json[0]?.lastFire).toMatchObject({
      runId: scheduled[0]?.runId,
      scheduledAt: '2026-12-07T09:00:00.000Z',
    });

    const fired = await aios(['schedules', 'fire', 'invoice-follow-up']);
    expect(fired.code).toBe(0);
    expect(fired.stdout).toMatch(/invoice-follow-up: fired at \S+ started run invoice-follow-up-/);
    expect(await runsOf('invoice-follow-up')).toHaveLength(2);

    expect((await aios(['schedules', 'pause', 'invoice-follow-up'])).stdout).toContain('paused');
    expect((await aios(['schedules'])).stdout).toContain('PAUSED');
    expect((await aios(['schedules', 'fire', 'payment-received'])).code).toBe(4);
    expect((await aios(['hooks', 'secret', 'payment-received'])).stdout.trim()).toBe(secret);
  });
});
