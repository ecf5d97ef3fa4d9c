import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AiosDev, startAiosDev } from '../../support/aios-dev.ts';

let dev: AiosDev;
const aios = (args: string[]) => dev.aios(args);

beforeAll(async () => {
  dev = await startAiosDev('aios-memory-cli-');
});
afterAll(() => dev.stop());

describe('aios memory against `aios dev`', () => {
  let id = '';

  it('adds an item and finds it with its id, text, origin, score and rank (--json)', async () => {
    const added = await aios([
      'memory',
      'add',
      '--namespace',
      'customer:acme',
      '--kind',
      'fact',
      '--document',
      'contract.pdf',
      'Acme pays invoices net 30',
    ]);
    expect(added.code, added.stderr).toBe(0);
    id = /Remembered (\S+) v1 in customer:acme/.exec(added.stdout)?.[1] ?? '';
    expect(id).not.toBe('');

    const found = await aios(['memory', 'search', 'payment terms', '--namespace', 'customer:acme', '--json']);
    expect(found.code, found.stderr).toBe(0);
    const result = JSON.parse(found.stdout);
    expect(result.hits[0]).toMatchObject({
      id,
      rank: 1,
      text: 'Acme pays invoices net 30',
      origin: { document: 'contract.pdf' },
    });
    expect(result.hits[0].score).toBeGreaterThan(0);
    const text = await aios(['memory', 'search', 'payment terms', '--namespace', 'customer:acme']);
    expect(text.stdout).toMatch(new RegExp(`1\\. \\d\\.\\d{3}  ${id} v1`));
  });

  it('supersedes, shows the history, reindexes and consolidates', async () => {
    const superseded = await aios([
      'memory',
      'add',
      '--namespace',
      'customer:acme',
      '--kind',
      'fact',
      '--supersedes',
      id,
      'Acme pays invoices net 45',
    ]);
    expect(superseded.stdout).toMatch(`Remembered ${id} v2`);
    const history = await aios(['memory', 'history', id]);
    expect(history.stdout).toMatch(/v1 {2}superseded/);
    expect(history.stdout).toMatch(/v2 {2}current/);

    const reindex = await aios(['memory', 'reindex', '--json']);
    expect(JSON.parse(reindex.stdout)).toMatchObject({
      from: 'v000001',
      to: 'v000002',
      items: 1,
      indexed: 1,
    });
    const consolidate = await aios(['memory', 'consolidate']);
    expect(consolidate.code).toBe(0);
    expect(consolidate.stdout).toMatch(/^Consolidated 0 working item/);
  });

  it('names the bad field and exits 2; an unknown id exits 4', async () => {
    const bad = await aios(['memory', 'add', '--namespace', 'Acme Inc', '--kind', 'fact', 'x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/namespace/);
    expect((await aios(['memory', 'history', 'mem-missing'])).code).toBe(4);
  });
});
