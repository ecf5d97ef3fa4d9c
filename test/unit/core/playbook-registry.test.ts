import { describe, expect, it } from 'vitest';
import { ACTION_DESCRIPTORS } from '../../../functions/connectors/descriptors.ts';
import { ValidationError } from '../../../functions/core/errors.ts';
import {
  createPlaybookRegistry,
  scheduleExpressionProblem,
} from '../../../functions/core/playbooks/registry.ts';
import invoiceFollowUp from '../../../playbooks/invoice-follow-up.json' with { type: 'json' };
import operatorPolicy from '../../../playbooks/operator-policy.json' with { type: 'json' };
import { memoryPlaybookStore } from '../../support/memory-playbook-store.ts';
import { upsertWorkflow } from '../../support/upsert-workflow.ts';

const clock = { now: () => new Date('2026-12-01T10:00:00.000Z') };
const rules = { knownActions: new Set(Object.keys(ACTION_DESCRIPTORS)) };
const registry = () => createPlaybookRegistry({ store: memoryPlaybookStore(), clock, rules });
// The shipped file as its first version, whatever version it has reached in the repository.
const v1 = { ...structuredClone(invoiceFollowUp), version: 1 };
const v2 = () => ({ ...structuredClone(v1), version: 2, description: 'Chase twice a week' });

describe('the playbook registry', () => {
  it('keeps each version: a run of version 1 still reads version 1 after version 2 is pushed, a new run reads 2', async () => {
    const playbooks = registry();
    expect((await playbooks.push(v1, 'seed')).status).toBe('pushed');
    // A run started now records the version it got.
    const catalog = playbooks.catalog();
    const runVersion = (await catalog.workflow('invoice-follow-up'))?.version;
    expect(runVersion).toBe(1);

    expect((await playbooks.push(v2(), 'operator')).status).toBe('pushed');
    expect(await catalog.workflow('invoice-follow-up', runVersion)).toMatchObject({
      version: 1,
      description: invoiceFollowUp.description,
    });
    expect(await catalog.workflow('invoice-follow-up')).toMatchObject({
      version: 2,
      description: 'Chase twice a week',
    });
    expect((await playbooks.list()).map((p) => p.workflow.version)).toEqual([2]);
    expect((await playbooks.show('invoice-follow-up', 1)).workflow.version).toBe(1);
  });

  it("refuses a playbook with more steps than a run's plan holds at the push, not at every run", async () => {
    const playbooks = registry();
    const refused = await playbooks
      .push(upsertWorkflow('long', 51), 'operator')
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as Error).message).toContain(
      "steps: a playbook has at most 50 steps (a run's plan holds no more); this one has 51",
    );
    expect(await playbooks.list()).toEqual([]);
    expect((await playbooks.push(upsertWorkflow('long', 50), 'operator')).status).toBe('pushed');
  });

  it('refuses an invalid file with every problem listed, and stores nothing', async () => {
    const playbooks = registry();
    const bad = {
      ...structuredClone(v1),
      allowedActions: ['http.request', 'fax.send'],
      steps: [
        { id: 'a', title: 'A', action: 'email.send', params: { to: '{{input.nobody}}' } },
        {
          id: 'b',
          title: 'B',
          action: 'http.request',
          params: { url: '{{run.owner}}', x: '{{secret.key}}' },
        },
      ],
    };
    const refused = await playbooks.push(bad, 'operator').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ValidationError);
    const message = (refused as Error).message;
    for (const problem of [
      'allowedActions: fax.send is not an action aios knows',
      'step a: email.send is not in allowedActions',
      'step b: {{run.owner}}: a run has no owner',
      'step b: {{secret.key}} is not {{input.<field>}}, {{run.<field>}} or {{steps.<id>.output.<field>}}',
      'step a uses {{input.nobody}}, which inputSchema does not declare',
    ])
      expect(message).toContain(problem);
    expect(await playbooks.list()).toEqual([]);
  });

  it('refuses a schedule expression EventBridge Scheduler would refuse, naming it', async () => {
    const bad = { ...structuredClone(v1), trigger: { type: 'schedule', expression: 'cron(0 9 * * MON)' } };
    const refused = await registry()
      .push(bad, 'operator')
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as Error).message).toContain('cron(0 9 * * MON): a cron expression has 6 fields');
  });

  it('refuses {{steps.…}} that names no earlier step', async () => {
    const bad = structuredClone(v1) as { steps: { params: Record<string, unknown> }[] };
    const last = bad.steps[bad.steps.length - 1];
    if (last) last.params.note = '{{steps.later.output.text}}';
    const refused = await registry()
      .push(bad, 'operator')
      .catch((error: unknown) => error);
    expect((refused as Error).message).toContain(
      '{{steps.later.output.text}} does not name the output of an earlier step',
    );
  });

  it('lists every schema problem too, not only the first', async () => {
    const refused = (await registry()
      .push({ name: 'Bad Name', version: 0, allowedActions: [] }, 'operator')
      .catch((error: unknown) => error)) as Error;
    expect(refused).toBeInstanceOf(ValidationError);
    expect(refused.message).toMatch(/name: /);
    expect(refused.message).toMatch(/version: /);
    expect(refused.message).toMatch(/description: /);
    expect(refused.message).toMatch(/allowedActions: /);
  });

  it('changes nothing when the newest version is pushed again, and refuses the same version with other content or an older one', async () => {
    const playbooks = registry();
    await playbooks.push(v1, 'seed');
    expect((await playbooks.push(v1, 'seed')).status).toBe('unchanged');
    await expect(playbooks.push({ ...v1, description: 'other' }, 'x')).rejects.toThrow(
      /version 1 is already pushed with other content; a change needs version 2/,
    );
    await playbooks.push(v2(), 'operator');
    await expect(playbooks.push(v1, 'x')).rejects.toThrow(/version 1 is older than the newest, 2/);
  });

  it('diffs a file against the newest version', async () => {
    const playbooks = registry();
    await playbooks.push(v1, 'seed');
    expect(await playbooks.diff(v2())).toEqual({ problems: [], changed: ['description'], from: 1 });
  });

  it('versions the operator policy and its approvers', async () => {
    const playbooks = registry();
    const first = await playbooks.pushPolicy(operatorPolicy, 'seed');
    expect(first.version).toBe(1);
    expect(await playbooks.pushPolicy(operatorPolicy, 'seed')).toEqual(first);
    const changed = { ...operatorPolicy, approvers: { slackUserIds: [], emails: ['ops@acme.example'] } };
    expect((await playbooks.pushPolicy(changed, 'operator')).version).toBe(2);
    expect((await playbooks.policy()).approvers.emails).toEqual(['ops@acme.example']);
    await expect(
      playbooks.pushPolicy(
        { ...operatorPolicy, rules: [{ action: 'fax.send', decision: 'deny', reason: 'no' }] },
        'x',
      ),
    ).rejects.toThrow(/rules.0.action: fax.send is not an action aios knows/);
  });

  it("reads a run's pinned policy version with one GetItem, once per process (a version never changes)", async () => {
    const store = memoryPlaybookStore();
    const playbooks = createPlaybookRegistry({ store, clock, rules });
    await playbooks.pushPolicy(operatorPolicy, 'seed');
    const changed = { ...operatorPolicy, approvers: { slackUserIds: [], emails: ['ops@acme.example'] } };
    await playbooks.pushPolicy(changed, 'operator');
    expect(await playbooks.catalog().policyVersion?.()).toBe(2);
    const reads: string[] = [];
    const getPolicy = store.getPolicy.bind(store);
    const latestPolicy = store.latestPolicy.bind(store);
    store.getPolicy = (version) => {
      reads.push(`get ${version}`);
      return getPolicy(version);
    };
    store.latestPolicy = () => {
      reads.push('latest');
      return latestPolicy();
    };
    for (let i = 0; i < 3; i += 1)
      expect((await playbooks.policy(1)).approvers.emails).toEqual(operatorPolicy.approvers.emails);
    expect(reads).toEqual(['get 1']);
    await expect(playbooks.policy(7)).rejects.toThrow(/policy v7 does not exist/);
  });
});

describe('schedule expressions', () => {
  it.each([
    ['rate(5 minutes)', undefined],
    ['rate(1 day)', undefined],
    ['cron(0 9 ? * MON *)', undefined],
    ['at(2026-12-24T09:00:00)', undefined],
    ['rate(1 days)', /singular for 1/],
    ['cron(0 9 * * MON *)', /one of day-of-month and day-of-week must be \?/],
    ['every monday', /is not rate\(\.\.\.\), cron\(\.\.\.\) or at\(\.\.\.\)/],
  ])('%s', (expression, problem) => {
    const found = scheduleExpressionProblem(expression);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toMatch(problem);
  });
});
