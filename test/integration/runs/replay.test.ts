import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplayRecord } from '../../../functions/core/replay/schemas.ts';
import { type LocalRuntime, startLocalRuntime } from '../../../lib/local/runtime.ts';
import { TABLE_NAMES } from '../../../lib/local/table-definitions.ts';
import { api, waitForRun } from '../../support/local-runtime.ts';
import { startWebhookServer, type WebhookServer } from '../../support/webhook-server.ts';

// Replay re-runs a past run in process with every effect off: nothing reaches the gateway, the
// outbox, a webhook or the state table but the replay's own record.

let runtime: LocalRuntime;
let hooks: WebhookServer;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'aios-replay-'));
  hooks = await startWebhookServer();
  // The registry is the catalogue (no fixed list), so a pushed version is what a replay can pick.
  runtime = await startLocalRuntime({ port: 0, dataDir, timeScale: 0.01, pollIntervalMs: 20 });
}, 60_000);
afterAll(async () => {
  await runtime?.close();
  await hooks?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Drafts a welcome, saves the customer with it, tells a webhook and emails the customer. */
const welcome = (name: string) => ({
  name,
  version: 1,
  description: 'Welcome a customer: draft, save, notify, email.',
  inputSchema: {
    type: 'object',
    properties: {
      customerId: { type: 'string' },
      name: { type: 'string' },
      email: { type: 'string' },
      hook: { type: 'string', format: 'uri' },
    },
    required: ['customerId', 'name', 'email', 'hook'],
  },
  allowedActions: ['model.draft', 'state.upsert', 'http.request', 'email.send'],
  steps: [
    {
      id: 'draft-welcome',
      title: 'Draft the welcome',
      action: 'model.draft',
      params: {},
      model: { prompt: 'Write a one-line welcome for {{input.name}}.' },
    },
    {
      id: 'save-customer',
      title: 'Save the customer',
      action: 'state.upsert',
      params: {
        entityType: 'customer',
        entityId: '{{input.customerId}}',
        data: { name: '{{input.name}}', welcomed: true },
      },
    },
    {
      id: 'notify-crm',
      title: 'Tell the CRM',
      action: 'http.request',
      params: { url: '{{input.hook}}/crm', method: 'POST', body: { customer: '{{input.customerId}}' } },
      expect: { status: [200, 201] },
    },
    {
      id: 'send-welcome',
      title: 'Email the welcome',
      action: 'email.send',
      params: { to: ['{{input.email}}'], subject: 'Welcome', text: '{{steps.draft-welcome.output.text}}' },
    },
  ],
});

async function push(playbook: unknown) {
  const pushed = await api<{ message?: string }>(runtime, 'POST', '/playbooks', playbook);
  expect(pushed.status, JSON.stringify(pushed.body)).toBe(201);
}

async function runOf(workflow: string, customerId: string): Promise<string> {
  const started = await api<{ runId: string }>(runtime, 'POST', '/runs', {
    workflow,
    input: { customerId, name: 'Acme Ltd', email: 'hello@acme.example', hook: hooks.url },
  });
  expect(started.status).toBe(202);
  const details = await waitForRun(runtime, started.body.runId);
  expect(details.run.status, JSON.stringify(details.run.failure)).toBe('SUCCEEDED');
  return started.body.runId;
}

function filesUnder(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else files[path] = readFileSync(path, 'base64');
    }
  };
  walk(dir);
  return files;
}

/** Every item of the state table, byte for byte, but the replays' own records. */
async function stateItems(): Promise<string[]> {
  const items: string[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await runtime.db.client.send(
      new ScanCommand({ TableName: TABLE_NAMES.state, ExclusiveStartKey: ExclusiveStartKey as never }),
    );
    for (const item of page.Items ?? []) {
      if (item.pk?.S?.startsWith('REPLAY#')) continue;
      items.push(JSON.stringify(item, Object.keys(item).sort()));
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items.sort();
}

/** What the outside world and the store hold: the outbox files, the webhook's deliveries, the state table. */
async function world() {
  return {
    outbox: filesUnder(join(dataDir, 'outbox')),
    deliveries: JSON.stringify(hooks.deliveries),
    state: await stateItems(),
  };
}

/** The world once it is still: a run's last writes (its summary, its memory) may trail its status. */
async function settledWorld() {
  let before = await world();
  for (let i = 0; i < 100; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = await world();
    if (JSON.stringify(now) === JSON.stringify(before)) return now;
    before = now;
  }
  throw new Error('the store never settled');
}

async function replay(runId: string, body: unknown = {}) {
  return api<{ replay: ReplayRecord; message?: string }>(runtime, 'POST', `/runs/${runId}/replay`, body);
}

describe('replay: a past run again, effects off', () => {
  it('ReplayRecorded: a succeeded run with its recorded model answers has no differences and makes no effect', async () => {
    await push(welcome('welcome-same'));
    const runId = await runOf('welcome-same', 'same-co');
    const before = await settledWorld();
    expect(Object.keys(before.outbox).length).toBeGreaterThan(0); // the run did email
    expect(hooks.deliveries.length).toBeGreaterThan(0); // and call the webhook

    const { status, body } = await replay(runId);
    expect(status, JSON.stringify(body)).toBe(201);
    const record = body.replay;
    expect(record).toMatchObject({ runId, model: 'recorded', playbookVersion: 1, differences: 0 });
    expect(record.steps.map((s) => [s.stepId, s.plan, s.differences])).toEqual([
      ['draft-welcome', 'same', []],
      ['save-customer', 'same', []],
      ['notify-crm', 'same', []],
      ['send-welcome', 'same', []],
    ]);
    // The recorded draft is what the email would say again, and each effect carries the recorded result.
    const draft = record.steps[0]?.replay?.output?.text;
    expect(typeof draft).toBe('string');
    expect(record.effects.map((e) => [e.stepId, e.type, e.when])).toEqual([
      ['save-customer', 'state.upsert', 'now'],
      ['notify-crm', 'http.request', 'now'],
      ['send-welcome', 'email.send', 'now'],
    ]);
    expect(record.effects[2]?.params).toMatchObject({ text: draft });
    expect(record.effects.every((e) => e.result !== undefined)).toBe(true);

    expect(await world()).toEqual(before);
    const listed = await api<{ replays: ReplayRecord[] }>(runtime, 'GET', `/runs/${runId}/replays`);
    expect(listed.status).toBe(200);
    expect(listed.body.replays.map((r) => r.replayId)).toEqual([record.replayId]);
  }, 120_000);

  it('ReplayChangedVersion: one step changed and one added are exactly the differences, with the effects they would make', async () => {
    const v1 = welcome('welcome-next');
    await push(v1);
    const runId = await runOf('welcome-next', 'next-co');
    const v2 = structuredClone(v1);
    v2.version = 2;
    const notify = v2.steps[2] as { params: { body: Record<string, unknown> } };
    notify.params.body = { customer: '{{input.customerId}}', plan: 'pro' };
    v2.steps.push({
      id: 'notify-sales',
      title: 'Tell sales',
      action: 'http.request',
      params: { url: '{{input.hook}}/sales', method: 'POST', body: { lead: '{{input.customerId}}' } },
      expect: { status: [200] },
    } as never);
    await push(v2);
    const before = await settledWorld();

    const { status, body } = await replay(runId, { playbookVersion: 2 });
    expect(status, JSON.stringify(body)).toBe(201);
    const record = body.replay;
    expect(record).toMatchObject({ originalVersion: 1, playbookVersion: 2 });
    const differing = record.steps.filter((s) => s.differences.length > 0);
    expect(differing.map((s) => [s.stepId, s.plan])).toEqual([
      ['notify-crm', 'changed'],
      ['notify-sales', 'added'],
    ]);
    expect(differing[0]?.differences.map((d) => d.field)).toEqual(['plan', 'effect']);
    expect(differing[1]?.differences.map((d) => d.field)).toEqual(['plan', 'policy', 'effect']);
    const effects = Object.fromEntries(record.effects.map((e) => [e.stepId, e]));
    expect(effects['notify-crm']).toMatchObject({
      type: 'http.request',
      params: { url: `${hooks.url}/crm`, body: { customer: 'next-co', plan: 'pro' } },
      when: 'now',
    });
    // A changed effect was never made: no recorded result stands in for it.
    expect(effects['notify-crm']?.result).toBeUndefined();
    expect(effects['notify-sales']).toMatchObject({
      type: 'http.request',
      params: { url: `${hooks.url}/sales`, body: { lead: 'next-co' } },
      when: 'now',
    });
    expect(record.differences).toBe(5);

    expect(await world()).toEqual(before);
  }, 120_000);

  it('ReplaySnapshot: an entity changed after the run is read at the version it had when the run started', async () => {
    const v1 = welcome('welcome-snap');
    await push(v1);
    const written = await runtime.store.putEntity(
      { type: 'customer', id: 'snap-co', data: { name: 'Snap', tier: 'gold' }, updatedBy: 'test' },
      undefined,
      new Date(),
    );
    expect(written.version).toBe(1);
    const runId = await runOf('welcome-snap', 'snap-co');
    const after = await runtime.store.getEntity('customer', 'snap-co');
    expect(after?.version).toBe(2); // the run merged its write into v1
    // A later change, after the run: the replay must not see it.
    await runtime.store.putEntity(
      { type: 'customer', id: 'snap-co', data: { name: 'Snap', tier: 'silver' }, updatedBy: 'test' },
      2,
      new Date(Date.now() + 1000),
    );

    const { body } = await replay(runId);
    expect(body.replay.differences).toBe(0);
    const save = body.replay.effects.find((e) => e.stepId === 'save-customer');
    expect(save?.writes).toEqual({
      entityType: 'customer',
      entityId: 'snap-co',
      fromVersion: 1,
      toVersion: 2,
      data: { name: 'Acme Ltd', tier: 'gold', welcomed: true },
    });
    expect(body.replay.reads).toEqual([{ entityType: 'customer', entityId: 'snap-co', version: 1 }]);
    // What the run recorded agrees: it wrote v2 over v1.
    expect(save?.result).toMatchObject({ version: 2 });
  }, 120_000);

  it('names a run or a version that does not exist, and a bad request, without storing anything', async () => {
    await push(welcome('welcome-bad'));
    const runId = await runOf('welcome-bad', 'bad-co');
    const noRun = await replay('welcome-bad-20260101-000000-deadbeef');
    expect(noRun.status).toBe(404);
    expect(noRun.body.message).toMatch(/run welcome-bad-20260101-000000-deadbeef does not exist/);
    const noVersion = await replay(runId, { playbookVersion: 7 });
    expect(noVersion.status).toBe(404);
    expect(noVersion.body.message).toMatch(/playbook welcome-bad has no version 7/);
    const badModel = await replay(runId, { model: 'tomorrow' });
    expect(badModel.status).toBe(400);
    expect(badModel.body.message).toMatch(/model/);
    const listed = await api<{ replays: ReplayRecord[] }>(runtime, 'GET', `/runs/${runId}/replays`);
    expect(listed.body.replays).toEqual([]);
    expect((await api(runtime, 'GET', '/runs/no-such-run/replays')).status).toBe(404);
  }, 120_000);
});

describe('replay with --model recorded or current', () => {
  let rt: LocalRuntime;
  let hook: WebhookServer;
  let answer = 'Welcome aboard, Acme.';
  const calls: string[] = [];
  /** Answers whatever `answer` holds when asked: the model "changes" between the run and its replay. */
  const model = {
    async converse(request: { prompt: string }) {
      calls.push(request.prompt);
      return { text: answer, modelId: 'model-fast', inputTokens: 100, outputTokens: 20 };
    },
    priceUsd: (_modelId: string, input: number, output: number) => (input + output) / 1_000_000,
    modelFor: () => 'model-fast',
  };

  beforeAll(async () => {
    hook = await startWebhookServer();
    rt = await startLocalRuntime({ port: 0, timeScale: 0.01, pollIntervalMs: 20, model });
  }, 60_000);
  afterAll(async () => {
    await rt?.close();
    await hook?.close();
  });

  it('ReplayCurrentModel: recorded reuses the answers and calls no model; current asks again and shows what its answer changes', async () => {
    expect((await api(rt, 'POST', '/playbooks', welcome('welcome-model'))).status).toBe(201);
    const started = await api<{ runId: string }>(rt, 'POST', '/runs', {
      workflow: 'welcome-model',
      input: { customerId: 'model-co', name: 'Acme', email: 'hi@acme.example', hook: hook.url },
    });
    const runId = started.body.runId;
    expect((await waitForRun(rt, runId)).run.status).toBe('SUCCEEDED');
    answer = 'Hello again, Acme.';
    const asked = calls.length;

    const recorded = await api<{ replay: ReplayRecord }>(rt, 'POST', `/runs/${runId}/replay`, {});
    expect(recorded.body.replay.differences).toBe(0);
    expect(calls.length).toBe(asked);

    const current = await api<{ replay: ReplayRecord }>(rt, 'POST', `/runs/${runId}/replay`, {
      model: 'current',
    });
    expect(current.status).toBe(201);
    expect(calls.length).toBe(asked + 1);
    const replay = current.body.replay;
    expect(replay.model).toBe('current');
    expect(
      replay.steps
        .filter((s) => s.differences.length > 0)
        .map((s) => [s.stepId, s.differences.map((d) => d.field)]),
    ).toEqual([
      ['draft-welcome', ['output']],
      ['send-welcome', ['effect']],
    ]);
    expect(replay.steps[0]?.replay).toMatchObject({
      output: { text: 'Hello again, Acme.' },
      costUsd: 0.00012,
    });
    const email = replay.effects.find((e) => e.stepId === 'send-welcome');
    expect(email?.params).toMatchObject({ text: 'Hello again, Acme.' });
    expect(email?.result).toBeUndefined();
    const listed = await api<{ replays: ReplayRecord[] }>(rt, 'GET', `/runs/${runId}/replays`);
    expect(listed.body.replays.map((r) => r.model)).toEqual(['recorded', 'current']);
  }, 120_000);
});
