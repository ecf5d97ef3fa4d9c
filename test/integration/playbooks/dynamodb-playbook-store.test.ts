import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDBPlaybookStore } from '../../../functions/adapters/aws/dynamodb-playbook-store.ts';
import { ACTION_DESCRIPTORS } from '../../../functions/connectors/descriptors.ts';
import { ConflictError } from '../../../functions/core/errors.ts';
import { createPlaybookRegistry } from '../../../functions/core/playbooks/registry.ts';
import type { PlaybookStore } from '../../../functions/core/ports.ts';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../../lib/local/embedded-dynamodb.ts';
import { TABLE_NAMES } from '../../../lib/local/table-definitions.ts';
import invoiceFollowUp from '../../../playbooks/invoice-follow-up.json' with { type: 'json' };
import operatorPolicy from '../../../playbooks/operator-policy.json' with { type: 'json' };

// The registry on its DynamoDB adapter (the state table, on both runtimes).

let db: EmbeddedDynamoDB;
let store: PlaybookStore;
const clock = { now: () => new Date('2026-12-01T10:00:00.000Z') };
const rules = { knownActions: new Set(Object.keys(ACTION_DESCRIPTORS)) };
const version = (n: number, description = `v${n}`) => ({ ...invoiceFollowUp, version: n, description });

beforeAll(async () => {
  db = await startEmbeddedDynamoDB({ tables: [TABLE_NAMES.state] });
  store = createDynamoDBPlaybookStore({ client: db.client, tableName: TABLE_NAMES.state });
});
afterAll(() => db.close());

describe('the playbook registry in the state table', () => {
  it('keeps every version, ordered as numbers, and lists the newest of each', async () => {
    const registry = createPlaybookRegistry({ store, clock, rules });
    for (const n of [1, 2, 10]) expect((await registry.push(version(n), 'operator')).status).toBe('pushed');
    expect((await store.playbookVersions('invoice-follow-up')).map((v) => v.workflow.version)).toEqual([
      1, 2, 10,
    ]);
    expect((await registry.show('invoice-follow-up')).workflow.version).toBe(10);
    expect((await registry.show('invoice-follow-up', 2)).workflow.description).toBe('v2');
    expect((await registry.list()).map((v) => [v.workflow.name, v.workflow.version])).toEqual([
      ['invoice-follow-up', 10],
    ]);
    expect((await registry.catalog().workflow('invoice-follow-up', 1))?.version).toBe(1);
  });

  it('writes a version once: a second put of it is a conflict and changes nothing', async () => {
    const entry = {
      workflow: { ...(await registry2().show('invoice-follow-up', 1)).workflow, description: 'x' },
      pushedAt: 'now',
      pushedBy: 'someone',
    };
    await expect(store.putPlaybook(entry)).rejects.toBeInstanceOf(ConflictError);
    expect((await store.getPlaybook('invoice-follow-up', 1))?.workflow.description).toBe('v1');
  });

  it('keeps the newest-of-each row at the highest version whatever order the puts land in', async () => {
    const v1 = (await store.getPlaybook('invoice-follow-up', 1))?.workflow;
    if (!v1) throw new Error('version 1 is missing');
    await store.putPlaybook({ workflow: { ...v1, version: 5 }, pushedAt: 'now', pushedBy: 'late' });
    expect((await store.latestPlaybooks())[0]?.workflow.version).toBe(10);
  });

  it('versions the operator policy and reads the newest', async () => {
    const registry = registry2();
    expect((await registry.pushPolicy(operatorPolicy, 'seed')).version).toBe(1);
    const changed = { ...operatorPolicy, approvers: { slackUserIds: [], emails: ['boss@acme.example'] } };
    expect((await registry.pushPolicy(changed, 'operator')).version).toBe(2);
    expect((await registry.policy()).approvers.emails).toEqual(['boss@acme.example']);
  });
});

const registry2 = () => createPlaybookRegistry({ store, clock, rules });
