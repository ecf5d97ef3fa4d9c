import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDynamoDBApprovalStore } from '../../../functions/adapters/aws/dynamodb-approval-store.ts';
import { createDynamoDBStateStore } from '../../../functions/adapters/aws/dynamodb-state-store.ts';
import {
  CLEAN_CLOSE_MARKER,
  type EmbeddedDynamoDB,
  startEmbeddedDynamoDB,
} from '../../../lib/local/embedded-dynamodb.ts';
import { REPAIR_ATTRIBUTE } from '../../../lib/local/index-repair.ts';
import { TABLE_NAMES } from '../../../lib/local/table-definitions.ts';
import { runFixture } from '../../support/fixtures.ts';
import { addIndexCopy, forgetCleanClose, type TearPoint, tearLastWrite } from '../../support/torn-store.ts';
import { approvalFixture } from '../approvals/email/fakes.ts';

type Item = Record<string, AttributeValue>;
const TABLE = TABLE_NAMES.state;
const runKey = (runId: string): Item => ({ pk: { S: `RUN#${runId}` }, sk: { S: 'RUN' } });
const approvalKey = (id: string): Item => ({ pk: { S: `APPROVAL#${id}` }, sk: { S: 'APPROVAL' } });

let dir: string;
let db: EmbeddedDynamoDB | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'aios-index-repair-'));
});
afterEach(async () => {
  await db?.close();
  db = undefined;
  rmSync(dir, { recursive: true, force: true });
});

async function open() {
  db = await startEmbeddedDynamoDB({ dir, tables: [TABLE] });
  return {
    db,
    runs: createDynamoDBStateStore({ client: db.client, tableName: TABLE }),
    approvals: createDynamoDBApprovalStore({ client: db.client, tableName: TABLE }),
  };
}

async function close() {
  await db?.close();
  db = undefined;
}

async function raw(client: DynamoDBClient, key: Item): Promise<Item | undefined> {
  return (await client.send(new GetItemCommand({ TableName: TABLE, Key: key, ConsistentRead: true }))).Item;
}

/** Closes the store, makes its last write at `key` a write killed at `at`, and says the process was killed. */
async function killDuring(key: Item, before: Item | undefined, at: TearPoint, crashed = true) {
  await close();
  await tearLastWrite(dir, TABLE, key, before, at);
  if (crashed) forgetCleanClose(dir);
}

/** Every way gsi1 and the items disagree: entries without their item, items without their entry. */
async function disagreements(client: DynamoDBClient): Promise<string[]> {
  const scan = async (IndexName?: string) => {
    const items: Item[] = [];
    let ExclusiveStartKey: Item | undefined;
    do {
      const page = await client.send(new ScanCommand({ TableName: TABLE, IndexName, ExclusiveStartKey }));
      items.push(...(page.Items ?? []));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items;
  };
  const text = (item: Item) => JSON.stringify(Object.entries(item).sort(([a], [b]) => a.localeCompare(b)));
  const expected = (await scan()).filter((i) => i.gsi1pk && i.gsi1sk).map(text);
  const entries = (await scan('gsi1')).map(text);
  return [
    ...entries.filter((e) => !expected.includes(e)).map((e) => `entry without its item: ${e}`),
    ...expected.filter((e) => !entries.includes(e)).map((e) => `item without its entry: ${e}`),
  ];
}

describe('the embedded store repairs its index after a kill mid-write', () => {
  it('a run killed while being created: its index entry goes, nothing lists a run that does not exist', async () => {
    const { runs } = await open();
    await runs.createRun(runFixture({ runId: 'run-phantom', status: 'QUEUED' }));
    await killDuring(runKey('run-phantom'), undefined, 'after-index-writes');

    const reopened = await open();
    expect(await reopened.runs.getRun('run-phantom')).toBeUndefined();
    expect((await reopened.runs.listRuns()).map((r) => r.runId)).not.toContain('run-phantom');
    expect(await reopened.runs.listRuns({ status: 'QUEUED' })).toEqual([]);
    expect(reopened.db.repair).toMatchObject({ orphansRemoved: 1, interruptedRepairsFinished: 0 });
    expect(await disagreements(reopened.db.client)).toEqual([]);
  });

  it('the torn state is real: without the repair (a clean close recorded) the phantom is listed', async () => {
    const { runs } = await open();
    await runs.createRun(runFixture({ runId: 'run-phantom', status: 'QUEUED' }));
    await killDuring(runKey('run-phantom'), undefined, 'after-index-writes', false);

    const reopened = await open();
    expect(reopened.db.repair).toBeUndefined();
    expect(await disagreements(reopened.db.client)).toHaveLength(1);
  });

  it('a status change killed after its index writes: the run is listed under the status it has', async () => {
    const { db: store, runs } = await open();
    await runs.createRun(runFixture({ runId: 'run-moving', status: 'QUEUED' }));
    const queued = await raw(store.client, runKey('run-moving'));
    await runs.updateRun('run-moving', ['QUEUED'], { status: 'RUNNING' });
    await killDuring(runKey('run-moving'), queued, 'after-index-writes');

    const reopened = await open();
    expect(await reopened.runs.listRuns({ status: 'RUNNING' })).toEqual([]);
    expect(await reopened.runs.listRuns({ status: 'QUEUED' })).toMatchObject([
      { runId: 'run-moving', status: 'QUEUED' },
    ]);
    expect(await reopened.runs.getRun('run-moving')).toMatchObject({ status: 'QUEUED' });
    expect(await disagreements(reopened.db.client)).toEqual([]);
  });

  it('killed after the old entry was removed: the item is indexed again', async () => {
    const { db: store, runs } = await open();
    await runs.createRun(runFixture({ runId: 'run-unlisted', status: 'QUEUED' }));
    const queued = await raw(store.client, runKey('run-unlisted'));
    await runs.updateRun('run-unlisted', ['QUEUED'], { status: 'RUNNING' });
    await killDuring(runKey('run-unlisted'), queued, 'after-old-entries-removed');

    const reopened = await open();
    expect((await reopened.runs.listRuns({ status: 'QUEUED' })).map((r) => r.runId)).toEqual([
      'run-unlisted',
    ]);
    expect(reopened.db.repair).toMatchObject({ orphansRemoved: 0, itemsReindexed: 1 });
    expect(await disagreements(reopened.db.client)).toEqual([]);
  });

  it('an entry holding a newer content than its item (same index key) is rewritten from the item', async () => {
    const { db: store, runs } = await open();
    await runs.createRun(runFixture({ runId: 'run-spend', status: 'RUNNING', spentUsd: 0 }));
    const before = await raw(store.client, runKey('run-spend'));
    await runs.updateRun('run-spend', ['RUNNING'], { spentUsd: 1.5 });
    await killDuring(runKey('run-spend'), before, 'after-index-writes');

    const reopened = await open();
    expect(await reopened.runs.listRuns({ status: 'RUNNING' })).toMatchObject([{ spentUsd: 0 }]);
    expect(reopened.db.repair).toMatchObject({ orphansRemoved: 0, itemsReindexed: 1 });
  });

  it('an approval decided and killed after its index writes is back in the inbox, and not unanswered', async () => {
    const { db: store, approvals } = await open();
    const approval = approvalFixture({ approvalId: 'apr-torn' });
    await approvals.create(approval, 'token-1');
    const pending = await raw(store.client, approvalKey('apr-torn'));
    await approvals.settle('apr-torn', {
      status: 'APPROVED',
      at: '2026-11-25T10:05:00.000Z',
      event: { at: '2026-11-25T10:05:00.000Z', event: 'approved', detail: 'operator' },
      decision: { outcome: 'approved', channel: 'api', by: 'operator', at: '2026-11-25T10:05:00.000Z' },
    });
    await killDuring(approvalKey('apr-torn'), pending, 'after-index-writes');

    const reopened = await open();
    expect((await reopened.approvals.listPending()).map((a) => a.approvalId)).toEqual(['apr-torn']);
    expect(await reopened.approvals.listUnanswered('2027-01-01T00:00:00.000Z')).toEqual([]);
    expect(await disagreements(reopened.db.client)).toEqual([]);
  });

  it('an approval created again after a kill (a new createdAt): the first entry leaves the inbox', async () => {
    const { approvals } = await open();
    await approvals.create(approvalFixture({ approvalId: 'apr-again' }), 'token-1');
    await killDuring(approvalKey('apr-again'), undefined, 'after-index-writes');

    const reopened = await open();
    await reopened.approvals.create(
      approvalFixture({ approvalId: 'apr-again', createdAt: '2026-11-25T10:01:00.000Z' }),
      'token-2',
    );
    await reopened.approvals.settle('apr-again', {
      status: 'REJECTED',
      at: '2026-11-25T10:05:00.000Z',
      event: { at: '2026-11-25T10:05:00.000Z', event: 'rejected', detail: 'operator' },
    });
    expect(await reopened.approvals.listPending()).toEqual([]);
    expect(await disagreements(reopened.db.client)).toEqual([]);
  });

  it('a repair that was itself killed is finished by the next start', async () => {
    const { db: store, runs } = await open();
    await runs.createRun(runFixture({ runId: 'run-mid-repair', status: 'QUEUED' }));
    const queued = (await raw(store.client, runKey('run-mid-repair'))) as Item;
    // What removeOrphan leaves between its two writes: the item moved to the orphan's keys...
    await store.client.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: {
          ...queued,
          gsi1pk: { S: 'RUNS#RUNNING' },
          [REPAIR_ATTRIBUTE]: {
            S: JSON.stringify({ undo: 'restore', attributes: { gsi1pk: queued.gsi1pk } }),
          },
        },
      }),
    );
    // ...or a stand-in for an entry whose item never existed.
    await store.client.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: {
          ...runKey('run-stand-in'),
          gsi1pk: { S: 'RUNS#QUEUED' },
          gsi1sk: { S: '2026-11-25T09:00:00.000Z#run-stand-in' },
          [REPAIR_ATTRIBUTE]: { S: JSON.stringify({ undo: 'delete' }) },
        },
      }),
    );
    await close();
    forgetCleanClose(dir);

    const reopened = await open();
    expect(reopened.db.repair).toMatchObject({ interruptedRepairsFinished: 2 });
    expect(await raw(reopened.db.client, runKey('run-mid-repair'))).toEqual(queued);
    expect(await raw(reopened.db.client, runKey('run-stand-in'))).toBeUndefined();
    expect((await reopened.runs.listRuns()).map((r) => r.runId)).toEqual(['run-mid-repair']);
    expect(await disagreements(reopened.db.client)).toEqual([]);
  });

  it('a clean close is recorded and skips the repair; a start after a kill repairs', async () => {
    await open();
    await close();
    expect(existsSync(join(dir, CLEAN_CLOSE_MARKER))).toBe(true);
    const clean = await open();
    expect(clean.db.repair).toBeUndefined();
    // Open, the store is no longer marked clean: a kill now would be noticed.
    expect(existsSync(join(dir, CLEAN_CLOSE_MARKER))).toBe(false);
    await close();
    forgetCleanClose(dir);
    const killed = await open();
    expect(killed.db.repair).toMatchObject({ tables: 1, orphansRemoved: 0, itemsReindexed: 0 });
  });

  it('after many writes each killed somewhere, index and items agree and a second pass finds nothing', async () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const points: TearPoint[] = ['after-index-writes', 'after-old-entries-removed'];
    for (let round = 0; round < 6; round += 1) {
      const { db: store, runs, approvals } = await open();
      const runId = `run-storm-${round}`;
      await runs.createRun(
        runFixture({ runId, status: 'QUEUED', createdAt: `2026-11-25T10:0${round}:00.000Z` }),
      );
      await approvals.create(approvalFixture({ approvalId: `apr-storm-${round}` }), `t-${round}`);
      const choice = Math.floor(random() * 3);
      const at = points[Math.floor(random() * points.length)] as TearPoint;
      if (choice === 0) {
        await runs.createRun(runFixture({ runId: `${runId}-new`, status: 'QUEUED' }));
        await killDuring(runKey(`${runId}-new`), undefined, at);
        continue;
      }
      const key = choice === 1 ? runKey(runId) : approvalKey(`apr-storm-${round}`);
      const before = await raw(store.client, key);
      if (choice === 1) await runs.updateRun(runId, ['QUEUED'], { status: 'RUNNING' });
      else
        await approvals.settle(`apr-storm-${round}`, {
          status: 'APPROVED',
          at: '2026-11-25T11:00:00.000Z',
          event: { at: '2026-11-25T11:00:00.000Z', event: 'approved', detail: 'x' },
        });
      await killDuring(key, before, at);
    }
    const { db: store } = await open();
    expect(await disagreements(store.client)).toEqual([]);
    await close();
    forgetCleanClose(dir);
    const again = await open();
    expect(again.db.repair).toMatchObject({
      orphansRemoved: 0,
      itemsReindexed: 0,
      interruptedRepairsFinished: 0,
    });
  });
});

describe('what reads the index confirms against the item (an index left behind its items, not repaired)', () => {
  it('the inbox shows an approval from its item: a copy of one decided since is not shown, one pending once', async () => {
    const { db: store, approvals } = await open();
    await approvals.create(approvalFixture({ approvalId: 'apr-decided' }), 'token-1');
    await approvals.create(approvalFixture({ approvalId: 'apr-pending' }), 'token-2');
    const pending = (await raw(store.client, approvalKey('apr-decided'))) as Item;
    const waiting = (await raw(store.client, approvalKey('apr-pending'))) as Item;
    await approvals.settle('apr-decided', {
      status: 'APPROVED',
      at: '2026-11-25T10:05:00.000Z',
      event: { at: '2026-11-25T10:05:00.000Z', event: 'approved', detail: 'operator' },
    });
    await close();
    // The decided one's PENDING copy is still indexed; the pending one has a second, older copy.
    await addIndexCopy(dir, TABLE, pending);
    await addIndexCopy(dir, TABLE, { ...waiting, gsi1sk: { S: '2026-11-25T09:00:00.000Z#apr-pending' } });

    const reopened = await open();
    expect(reopened.db.repair).toBeUndefined();
    expect((await reopened.approvals.listPending()).map((a) => [a.approvalId, a.status])).toEqual([
      ['apr-pending', 'PENDING'],
    ]);
  });

  it('GET /runs without a status lists a run the index holds under two statuses once, as it is now', async () => {
    const { db: store, runs } = await open();
    await runs.createRun(runFixture({ runId: 'run-twice', status: 'QUEUED' }));
    const queued = (await raw(store.client, runKey('run-twice'))) as Item;
    await runs.updateRun('run-twice', ['QUEUED'], {
      status: 'RUNNING',
      updatedAt: '2026-11-25T10:01:00.000Z',
    });
    await close();
    await addIndexCopy(dir, TABLE, queued);

    const reopened = await open();
    expect((await reopened.runs.listRuns()).map((r) => [r.runId, r.status])).toEqual([
      ['run-twice', 'RUNNING'],
    ]);
  });
});
