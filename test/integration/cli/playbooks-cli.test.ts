import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import invoiceFollowUp from '../../../playbooks/invoice-follow-up.json' with { type: 'json' };
import { type AiosDev, startAiosDev } from '../../support/aios-dev.ts';

// `aios playbooks list|show|push|diff` against `aios dev`, which pushed the shipped playbooks on first start.

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
    const old = await aios(['playbooks', 'show', 'invoice-follow-up', '--ver', String(v), '--json']);
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
