import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import invoiceFollowUp from '../../../playbooks/invoice-follow-up.json' with { type: 'json' };
import operatorPolicy from '../../../playbooks/operator-policy.json' with { type: 'json' };
import { type AiosDev, startAiosDev } from '../../support/aios-dev.ts';

// `aios playbooks list|show|push|diff` and `aios policy show|push` against `aios dev`, which pushed
// the shipped playbooks and policy on its first start.

let dev: AiosDev;
let dir: string;
const aios = (args: string[]) => dev.aios(args);
const file = (name: string, content: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
};

beforeAll(async () => {
  dev = await startAiosDev('aios-playbooks-cli-');
  dir = mkdtempSync(join(tmpdir(), 'aios-playbook-files-'));
});
afterAll(async () => {
  await dev.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('aios playbooks', () => {
  const v = invoiceFollowUp.version;
  const next = { ...invoiceFollowUp, version: v + 1, description: 'Chase twice a week' };

  it('lists the shipped playbooks, diffs a file, pushes it and shows either version', async () => {
    const listed = await aios(['playbooks', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`invoice-follow-up v${v} +pushed .* by seed`));

    const diff = await aios(['playbooks', 'diff', file('next.json', next)]);
    expect(diff).toMatchObject({ code: 0 });
    expect(diff.stdout).toContain(`Against v${v}, changes: description`);

    const pushed = await aios(['playbooks', 'push', file('next.json', next)]);
    expect(pushed.code).toBe(0);
    expect(pushed.stdout).toContain(`Pushed invoice-follow-up v${v + 1}`);

    const shown = JSON.parse((await aios(['playbooks', 'show', 'invoice-follow-up', '--json'])).stdout);
    expect(shown.workflow).toMatchObject({ version: v + 1, description: 'Chase twice a week' });
    const old = await aios(['playbooks', 'show', 'invoice-follow-up', '--version', String(v), '--json']);
    expect(JSON.parse(old.stdout).workflow.description).toBe(invoiceFollowUp.description);
  });

  it('refuses an invalid file with every problem and exit 2; a missing or non-JSON file is exit 2 too', async () => {
    const bad = {
      ...next,
      version: v + 2,
      allowedActions: [...next.allowedActions, 'fax.send'],
      trigger: { type: 'manual' },
      steps: [{ id: 'a', title: 'A', action: 'email.send', params: {} }],
    };
    const refused = await aios(['playbooks', 'push', file('bad.json', bad)]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('allowedActions: fax.send is not an action aios knows');
    expect(refused.stderr).toContain('step a: email.send is not in allowedActions');
    expect((await aios(['playbooks', 'push', join(dir, 'nothing.json')])).code).toBe(2);
    expect((await aios(['playbooks', 'diff', file('text.json', 'not json')])).code).toBe(2);
  });
});

describe('aios policy', () => {
  it('shows the seeded policy, pushes a new version with who and why, and shows either version', async () => {
    const shown = await aios(['policy', 'show']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^policy v1 +pushed .* by seed/);

    const stricter = {
      ...operatorPolicy,
      byRisk: { ...operatorPolicy.byRisk, 'external-message': 'needs-approval' },
    };
    const pushed = await aios(['policy', 'push', file('policy.json', stricter), '--reason', 'new customers']);
    expect(pushed.code).toBe(0);
    expect(pushed.stdout).toContain('Pushed policy v2');
    const newest = JSON.parse((await aios(['policy', 'show', '--json'])).stdout);
    expect(newest).toMatchObject({ version: 2, pushedBy: 'operator', reason: 'new customers' });
    expect(newest.policy.byRisk['external-message']).toBe('needs-approval');
    const first = JSON.parse((await aios(['policy', 'show', '--version', '1', '--json'])).stdout);
    expect(first.policy.byRisk['external-message']).toBe('allow');
  });

  it('refuses a bad policy with every problem and exit 2, and a push without a reason', async () => {
    const bad = {
      ...operatorPolicy,
      byRisk: { ...operatorPolicy.byRisk, money: 'maybe' },
      approvers: { slackUserIds: ['someone'], emails: ['not-an-address'] },
    };
    const refused = await aios(['policy', 'push', file('bad-policy.json', bad), '--reason', 'test']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('byRisk.money');
    expect(refused.stderr).toContain('approvers.slackUserIds.0');
    expect(refused.stderr).toContain('approvers.emails.0');
    expect((await aios(['policy', 'push', file('policy.json', operatorPolicy)])).code).toBe(2);
  });
});
