import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplayRecord } from '../../../functions/core/replay/schemas.ts';
import { type AiosDev, startAiosDev } from '../../support/aios-dev.ts';

// `aios replay` through the real binary against `aios dev`: a table by default, JSON with --json,
// and the exit codes of every other command (4 not found, 2 a bad option). And `aios audit` of a
// workflow: its mode changes.

let dev: AiosDev;
let dir: string;
const aios = (args: string[]) => dev.aios(args);
const file = (name: string, content: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(content));
  return path;
};

/** Two steps the local runtime can make on its own: save a customer, call the local webhook stand-in. */
const playbook = (version: number, plan: string) => ({
  name: 'replay-cli',
  version,
  description: 'Save a customer and tell the CRM stand-in.',
  inputSchema: {
    type: 'object',
    properties: { customerId: { type: 'string' } },
    required: ['customerId'],
  },
  allowedActions: ['state.upsert', 'http.request'],
  steps: [
    {
      id: 'save-customer',
      title: 'Save the customer',
      action: 'state.upsert',
      params: { entityType: 'customer', entityId: '{{input.customerId}}', data: { plan } },
    },
    {
      id: 'notify-crm',
      title: 'Tell the CRM',
      action: 'http.request',
      params: {
        url: `http://127.0.0.1:${dev.port}/local/webhooks/crm`,
        method: 'POST',
        body: { customer: '{{input.customerId}}' },
      },
    },
  ],
});

let runId = '';

beforeAll(async () => {
  dev = await startAiosDev('aios-replay-cli-');
  dir = mkdtempSync(join(tmpdir(), 'aios-replay-files-'));
  expect((await aios(['playbooks', 'push', file('v1.json', playbook(1, 'basic'))])).code).toBe(0);
  const ran = await aios(['run', 'replay-cli', '--input', file('input.json', { customerId: 'cli-co' })]);
  expect(ran.code, ran.stderr).toBe(0);
  runId = /Run (replay-cli-\S+) started/.exec(ran.stdout)?.[1] ?? '';
  expect(runId).not.toBe('');
}, 120_000);
afterAll(async () => {
  await dev.stop();
  rmSync(dir, { recursive: true, force: true });
});

const webhookLines = () => readFileSync(join(dev.dataDir, 'outbox', 'webhooks.jsonl'), 'utf8');

describe('aios replay', () => {
  it('prints a table with no differences for the run as it was, and sends nothing', async () => {
    const before = webhookLines();
    const replayed = await aios(['replay', runId]);
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toMatch(
      new RegExp(`^Replay ${runId}-replay-\\S+ of run ${runId}: replay-cli v1, recorded model, state as of `),
    );
    expect(replayed.stdout).toMatch(
      /#\s+step\s+plan\s+policy\s+approval\s+effect it would make\s+cost\s+differs in/,
    );
    expect(replayed.stdout).toMatch(
      /1\s+save-customer\s+same\s+allow\s+no\s+state\.upsert customer\/cli-co v0→v1/,
    );
    expect(replayed.stdout).toMatch(
      /2\s+notify-crm\s+same\s+allow\s+no\s+http\.request POST http:\/\/127\.0\.0\.1:\d+\/local\/webhooks\/crm/,
    );
    expect(replayed.stdout).toContain('No differences: the replay reproduces the run.');
    expect(webhookLines()).toBe(before);
  });

  it('--playbook-version names what a pushed version changes; --json prints the stored record', async () => {
    expect((await aios(['playbooks', 'push', file('v2.json', playbook(2, 'pro'))])).code).toBe(0);
    const replayed = await aios(['replay', runId, '--playbook-version', '2']);
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toMatch(
      /1\s+save-customer\s+changed\s+allow\s+no\s+state\.upsert .*plan, effect/,
    );
    expect(replayed.stdout).toMatch(/save-customer: effect: .*"plan":"basic".* → .*"plan":"pro"/);
    expect(replayed.stdout).toContain('2 differences.');

    const json = await aios(['replay', runId, '--playbook-version', '2', '--json']);
    expect(json.code).toBe(0);
    const record = JSON.parse(json.stdout) as ReplayRecord;
    expect(record).toMatchObject({ runId, playbookVersion: 2, originalVersion: 1, differences: 2 });
    expect(record.steps.map((s) => s.plan)).toEqual(['changed', 'same']);
  });

  it('exits 4 for a run or a version that does not exist, and 2 for a bad option', async () => {
    const noRun = await aios(['replay', 'replay-cli-20260101-000000-deadbeef']);
    expect(noRun.code).toBe(4);
    expect(noRun.stderr).toMatch(/run replay-cli-20260101-000000-deadbeef does not exist/);
    const noVersion = await aios(['replay', runId, '--playbook-version', '9']);
    expect(noVersion.code).toBe(4);
    expect(noVersion.stderr).toMatch(/playbook replay-cli has no version 9/);
    expect((await aios(['replay', runId, '--model', 'tomorrow'])).code).toBe(2);
    expect((await aios(['replay', runId, '--playbook-version', 'two'])).code).toBe(2);
  });
});

describe('aios audit of a workflow', () => {
  it('shows its mode changes with who and why, by name or by workflow-<name>; a refused promotion is none', async () => {
    const demoted = await aios(['demote', 'replay-cli', '--why', 'watch it a while', '--by', 'ops-lead']);
    expect(demoted.code, demoted.stderr).toBe(0);
    // The gate refuses (nothing judged yet): a refusal changes no mode and leaves no entry.
    expect((await aios(['promote', 'replay-cli'])).code).not.toBe(0);

    const audit = await aios(['audit', 'replay-cli']);
    expect(audit.code, audit.stderr).toBe(0);
    expect(audit.stdout).toMatch(/^Mode changes of workflow replay-cli \(1 entries\)/);
    expect(audit.stdout).toMatch(
      /\d{4}-\d{2}-\d{2}\s+demoted\s+workflow\.mode\s+by ops-lead: replay-cli v2 demoted to shadow by ops-lead: watch it a while/,
    );
    const json = JSON.parse((await aios(['audit', 'workflow-replay-cli', '--json'])).stdout);
    expect(json).toEqual([
      expect.objectContaining({ runId: 'workflow-replay-cli', outcome: 'demoted', agent: 'ops-lead' }),
    ]);
    // A run's own audit is as it was.
    expect((await aios(['audit', runId])).stdout).toMatch(new RegExp(`^Audit log of ${runId}`));
    const unknown = await aios(['audit', 'no-such-thing']);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toMatch(
      /run no-such-thing does not exist, and no workflow is named no-such-thing/,
    );
  });
});
