import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  answerDynamoDBRequest,
  closeDynaliteStore,
  createDynaliteStore,
} from '../../../lib/local/dynalite-engine.ts';
import { TABLE_DEFINITIONS, TABLE_NAMES } from '../../../lib/local/table-definitions.ts';

/*
 * The embedded store reads LevelDB at once (getSync) instead of through libuv's thread pool
 * (lib/local/dynalite-engine.ts, readInline): no read may take the pool's road once the store is
 * open, and a read still sees every write answered before it, on disk and in memory alike.
 */

const TableName = TABLE_NAMES.state;
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

type Engine = ReturnType<typeof createDynaliteStore>;
/** The store, and how many reads went through LevelDB's asynchronous get. */
function openEngine(onDisk: boolean) {
  const path = onDisk ? mkdtempSync(join(tmpdir(), 'aios-inline-reads-')) : undefined;
  if (path) dirs.push(path);
  const engine = createDynaliteStore({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const level = engine.store.db as unknown as { _get: (...args: unknown[]) => Promise<unknown> };
  const asyncGet = level._get.bind(level);
  let throughPool = 0;
  level._get = (...args) => {
    throughPool += 1;
    return asyncGet(...args);
  };
  return { engine, throughPool: () => throughPool };
}

async function call(engine: Engine, operation: string, body: object) {
  const answer = await answerDynamoDBRequest(engine, `DynamoDB_20120810.${operation}`, JSON.stringify(body));
  if (answer.statusCode !== 200) throw new Error(`${operation}: ${answer.statusCode} ${answer.body}`);
  return JSON.parse(answer.body) as Record<string, unknown>;
}

const key = (pk: string) => ({ pk: { S: pk }, sk: { S: 'item' } });
const itemOf = async (engine: Engine, pk: string) =>
  (await call(engine, 'GetItem', { TableName, Key: key(pk), ConsistentRead: true })).Item;

describe.each([
  ['on disk (classic-level)', true],
  ['in memory (memory-level)', false],
])('reads of the embedded store %s', (_, onDisk) => {
  it('never go through the thread pool once the store is open, and see every write answered before them', async () => {
    const { engine, throughPool } = openEngine(onDisk);
    try {
      // Made while the database may still be opening: those reads wait for it as before.
      await call(engine, 'CreateTable', TABLE_DEFINITIONS[TableName]);
      const before = throughPool();
      for (let i = 0; i < 20; i += 1) {
        await call(engine, 'PutItem', {
          TableName,
          Item: { ...key('a'), v: { N: String(i) } },
          ...(i > 0
            ? {
                ConditionExpression: 'v = :last',
                ExpressionAttributeValues: { ':last': { N: String(i - 1) } },
              }
            : {}),
        });
        expect(await itemOf(engine, 'a')).toEqual({ ...key('a'), v: { N: String(i) } });
      }
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          call(engine, 'UpdateItem', {
            TableName,
            Key: key(`b${i}`),
            UpdateExpression: 'SET v = :v',
            ExpressionAttributeValues: { ':v': { N: String(i) } },
          }),
        ),
      );
      const batch = await call(engine, 'BatchGetItem', {
        RequestItems: { [TableName]: { Keys: Array.from({ length: 10 }, (_, i) => key(`b${i}`)) } },
      });
      const values = (batch.Responses as Record<string, Array<{ v: { N: string } }>>)[TableName]?.map(
        (item) => Number(item.v.N),
      );
      expect(values?.sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      await call(engine, 'TransactWriteItems', {
        TransactItems: [
          {
            ConditionCheck: {
              TableName,
              Key: key('a'),
              ConditionExpression: 'v = :v',
              ExpressionAttributeValues: { ':v': { N: '19' } },
            },
          },
          { Delete: { TableName, Key: key('b0') } },
        ],
      });
      expect(await itemOf(engine, 'b0')).toBeUndefined();
      await call(engine, 'DeleteItem', { TableName, Key: key('a') });
      expect(await itemOf(engine, 'a')).toBeUndefined();
      expect(throughPool() - before).toBe(0);
    } finally {
      await closeDynaliteStore(engine);
    }
  });
});

describe('reads of an embedded store that is closed', () => {
  it('are refused as before', async () => {
    const { engine } = openEngine(true);
    await call(engine, 'CreateTable', TABLE_DEFINITIONS[TableName]);
    await closeDynaliteStore(engine);
    const answer = await answerDynamoDBRequest(
      engine,
      'DynamoDB_20120810.GetItem',
      JSON.stringify({ TableName, Key: key('a') }),
    );
    expect(answer.statusCode).toBe(500);
    expect(answer.body).toMatch(/closed/i);
  });
});
