import { afterEach, describe, expect, it } from 'vitest';
import { SHIPPED_PLAYBOOKS } from '../../../functions/shipped-playbooks.ts';
import type { LocalRuntime } from '../../../lib/local/runtime.ts';
import invoiceFollowUp from '../../../playbooks/invoice-follow-up.json' with { type: 'json' };
import { api, startTestRuntime } from '../../support/local-runtime.ts';

// The registry's routes on the local server, which pushes the shipped playbooks on first start.

let runtime: LocalRuntime | undefined;
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
});

type Version = { workflow: { name: string; version: number; description: string }; pushedBy: string };

describe('the playbook registry over HTTP', () => {
  it('lists the shipped playbooks after the first start, pushed by the seed', async () => {
    runtime = await startTestRuntime();
    const { status, body } = await api<{ playbooks: Version[] }>(runtime, 'GET', '/playbooks');
    expect(status).toBe(200);
    expect(body.playbooks.map((p) => p.workflow.name).sort()).toEqual(
      SHIPPED_PLAYBOOKS.map((p) => (p as { name: string }).name).sort(),
    );
    expect(body.playbooks.every((p) => p.pushedBy === 'seed')).toBe(true);
  });

  it('pushes a new version, shows either version, and diffs a file against the newest', async () => {
    runtime = await startTestRuntime();
    const next = {
      ...invoiceFollowUp,
      version: invoiceFollowUp.version + 1,
      description: 'Chase twice a week',
    };
    const diff = await api<{ changed: string[]; from: number }>(runtime, 'POST', '/playbooks/diff', next);
    expect(diff.body).toMatchObject({ changed: ['description'], from: invoiceFollowUp.version });
    expect((await api(runtime, 'POST', '/playbooks', next)).status).toBe(201);
    expect((await api(runtime, 'POST', '/playbooks', next)).status).toBe(200); // unchanged
    const newest = await api<Version>(runtime, 'GET', '/playbooks/invoice-follow-up');
    expect(newest.body.workflow).toMatchObject({ version: next.version, description: 'Chase twice a week' });
    const old = await api<Version>(
      runtime,
      'GET',
      `/playbooks/invoice-follow-up?version=${invoiceFollowUp.version}`,
    );
    expect(old.body.workflow.description).toBe(invoiceFollowUp.description);
    expect((await api(runtime, 'GET', '/playbooks/invoice-follow-up?version=99')).status).toBe(404);
    expect((await api(runtime, 'GET', '/playbooks/invoice-follow-up?version=zero')).status).toBe(400);
  });

  it('refuses an invalid file with every problem, and stores nothing', async () => {
    runtime = await startTestRuntime();
    const bad = {
      ...invoiceFollowUp,
      name: 'bad-one',
      allowedActions: [...invoiceFollowUp.allowedActions, 'fax.send'],
      steps: [{ id: 'a', title: 'A', action: 'email.send', params: { to: '{{run.owner}}' } }],
    };
    const { status, body } = await api<{ message: string }>(runtime, 'POST', '/playbooks', bad);
    expect(status).toBe(400);
    expect(body.message).toContain('allowedActions: fax.send is not an action aios knows');
    expect(body.message).toContain('step a: email.send is not in allowedActions');
    expect(body.message).toContain('step a: {{run.owner}}: a run has no owner');
    expect((await api(runtime, 'GET', '/playbooks/bad-one')).status).toBe(404);
  });
});
