import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DynamoDBClient,
  GetItemCommand,
  IdempotentParameterMismatchException,
  PutItemCommand,
  QueryCommand,
  TransactionCanceledException,
  type TransactWriteItem,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../../lib/local/embedded-dynamodb.ts';
import { TABLE_NAMES } from '../../../lib/local/table-definitions.ts';

const TableName = TABLE_NAMES.state;
const Other = TABLE_NAMES.queue;
let db: EmbeddedDynamoDB;
let overHttp: DynamoDBClient;

beforeAll(async () => {
  db = await startEmbeddedDynamoDB({ tables: [TableName, Other] });
  overHttp = new DynamoDBClient({
    endpoint: db.endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});
afterAll(async () => {
  overHttp.destroy();
  await db.close();
});

const key = (pk: string, sk = 'X') => ({ pk: { S: pk }, sk: { S: sk } });
const get = async (pk: string, sk = 'X', table: string = TableName) =>
  (await db.client.send(new GetItemCommand({ TableName: table, Key: key(pk, sk), ConsistentRead: true })))
    .Item;
const put = (pk: string, extra: Record<string, { S: string } | { N: string }> = {}) =>
  db.client.send(new PutItemCommand({ TableName, Item: { ...key(pk), ...extra } }));
const transact = (TransactItems: TransactWriteItem[], client = db.client, ClientRequestToken?: string) =>
  client.send(
    new TransactWriteItemsCommand({ TransactItems, ...(ClientRequestToken ? { ClientRequestToken } : {}) }),
  );
const failureOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    return error as Error & { CancellationReasons?: { Code?: string; Item?: unknown; Message?: string }[] };
  }
  throw new Error('expected the request to fail');
};
const inIndex = async (partition: string) =>
  (
    await db.client.send(
      new QueryCommand({
        TableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: partition } },
      }),
    )
  ).Items ?? [];

describe('TransactWriteItems on the embedded store', () => {
  it('makes a Put, an Update, a Delete and a ConditionCheck together, in two tables, index entries included', async () => {
    await put('t1-update', { n: { N: '1' }, gsi1pk: { S: 't1-old' }, gsi1sk: { S: 'a' } });
    await put('t1-delete');
    await put('t1-check', { state: { S: 'open' } });
    await transact([
      {
        Put: {
          TableName,
          Item: { ...key('t1-put'), gsi1pk: { S: 't1-new' }, gsi1sk: { S: 'b' } },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Update: {
          TableName,
          Key: key('t1-update'),
          UpdateExpression: 'SET gsi1pk = :to ADD n :one',
          ConditionExpression: 'n = :one',
          ExpressionAttributeValues: { ':to': { S: 't1-new' }, ':one': { N: '1' } },
        },
      },
      { Delete: { TableName, Key: key('t1-delete') } },
      {
        ConditionCheck: {
          TableName,
          Key: key('t1-check'),
          ConditionExpression: '#s = :open',
          ExpressionAttributeNames: { '#s': 'state' },
          ExpressionAttributeValues: { ':open': { S: 'open' } },
        },
      },
      { Put: { TableName: Other, Item: key('t1-other') } },
    ]);
    expect(await get('t1-put')).toBeDefined();
    expect((await get('t1-update'))?.n).toEqual({ N: '2' });
    expect(await get('t1-delete')).toBeUndefined();
    expect(await get('t1-check')).toEqual({ ...key('t1-check'), state: { S: 'open' } });
    expect(await get('t1-other', 'X', Other)).toEqual(key('t1-other'));
    expect((await inIndex('t1-new')).map((item) => item.pk?.S).sort()).toEqual(['t1-put', 't1-update']);
    expect(await inIndex('t1-old')).toEqual([]);
  });

  it("writes nothing when one condition fails, and names each item's reason (the old item when asked)", async () => {
    await put('t2-taken', { owner: { S: 'first' } });
    const failure = await failureOf(
      transact([
        { Put: { TableName, Item: key('t2-fresh'), ConditionExpression: 'attribute_not_exists(pk)' } },
        {
          Put: {
            TableName,
            Item: { ...key('t2-taken'), owner: { S: 'second' } },
            ConditionExpression: 'attribute_not_exists(pk)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
        {
          Update: {
            TableName,
            Key: key('t2-counter'),
            UpdateExpression: 'ADD n :one',
            ExpressionAttributeValues: { ':one': { N: '1' } },
          },
        },
        {
          ConditionCheck: {
            TableName,
            Key: key('t2-taken'.replace('taken', 'absent')),
            ConditionExpression: 'attribute_exists(pk)',
          },
        },
      ]),
    );
    expect(failure).toBeInstanceOf(TransactionCanceledException);
    expect(failure.message).toBe(
      'Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed, None, ConditionalCheckFailed]',
    );
    expect(failure.CancellationReasons?.map((reason) => reason.Code)).toEqual([
      'None',
      'ConditionalCheckFailed',
      'None',
      'ConditionalCheckFailed',
    ]);
    expect(failure.CancellationReasons?.[1]?.Item).toEqual({ ...key('t2-taken'), owner: { S: 'first' } });
    expect(failure.CancellationReasons?.[3]?.Item).toBeUndefined();
    expect(await get('t2-fresh')).toBeUndefined();
    expect(await get('t2-counter')).toBeUndefined();
    expect((await get('t2-taken'))?.owner).toEqual({ S: 'first' });
  });

  it('cancels with a ValidationError reason when an update cannot apply to the item it meets', async () => {
    await put('t3-text', { n: { S: 'not a number' } });
    const failure = await failureOf(
      transact([
        { Put: { TableName, Item: key('t3-fresh') } },
        {
          Update: {
            TableName,
            Key: key('t3-text'),
            UpdateExpression: 'ADD n :one',
            ExpressionAttributeValues: { ':one': { N: '1' } },
          },
        },
      ]),
    );
    expect(failure).toBeInstanceOf(TransactionCanceledException);
    expect(failure.CancellationReasons?.map((reason) => reason.Code)).toEqual(['None', 'ValidationError']);
    expect(await get('t3-fresh')).toBeUndefined();
  });

  it('refuses two operations on one item, more than 100 items and an empty list, writing nothing', async () => {
    const twice = await failureOf(
      transact([
        { Put: { TableName, Item: key('t4-twice') } },
        { Put: { TableName: Other, Item: key('t4-twice') } },
        {
          ConditionCheck: {
            TableName,
            Key: key('t4-twice'),
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ]),
    );
    expect(twice.name).toBe('ValidationException');
    expect(twice.message).toBe('Transaction request cannot include multiple operations on one item');
    const many = await failureOf(
      transact(
        Array.from({ length: 101 }, (_, index) => ({ Put: { TableName, Item: key(`t4-many-${index}`) } })),
      ),
    );
    expect(many.name).toBe('ValidationException');
    expect(many.message).toMatch(/transactItems.*less than or equal to 100/);
    const none = await failureOf(transact([]));
    expect(none.name).toBe('ValidationException');
    expect(none.message).toMatch(/transactItems.*greater than or equal to 1/);
    const both = await failureOf(
      transact([{ Put: { TableName, Item: key('t4-both') }, Delete: { TableName, Key: key('t4-both') } }]),
    );
    expect(both.name).toBe('ValidationException');
    expect(await get('t4-twice')).toBeUndefined();
    expect(await get('t4-twice', 'X', Other)).toBeUndefined();
    expect(await get('t4-many-0')).toBeUndefined();
    expect(await get('t4-both')).toBeUndefined();
    // 100 is allowed.
    await transact(
      Array.from({ length: 100 }, (_, index) => ({ Put: { TableName, Item: key(`t4-many-${index}`) } })),
    );
    expect(await get('t4-many-99')).toBeDefined();
  });

  it('answers a repeated ClientRequestToken without writing again, and refuses it with other parameters', async () => {
    const increment: TransactWriteItem[] = [
      {
        Update: {
          TableName,
          Key: key('t5-counter'),
          UpdateExpression: 'ADD n :one',
          ExpressionAttributeValues: { ':one': { N: '1' } },
        },
      },
    ];
    await transact(increment, db.client, 't5-token');
    await transact(increment, db.client, 't5-token');
    expect((await get('t5-counter'))?.n).toEqual({ N: '1' });
    const changed = await failureOf(
      transact([{ Put: { TableName, Item: key('t5-counter') } }], db.client, 't5-token'),
    );
    expect(changed).toBeInstanceOf(IdempotentParameterMismatchException);
    // A token whose request was cancelled holds nothing: the request may be made again.
    await put('t5-blocker');
    const blocked: TransactWriteItem[] = [
      { Put: { TableName, Item: key('t5-blocker'), ConditionExpression: 'attribute_not_exists(pk)' } },
    ];
    expect(await failureOf(transact(blocked, db.client, 't5-cancelled'))).toBeInstanceOf(
      TransactionCanceledException,
    );
    expect(await failureOf(transact(blocked, db.client, 't5-cancelled'))).toBeInstanceOf(
      TransactionCanceledException,
    );
    // Without a token, each request is its own.
    await transact(increment);
    expect((await get('t5-counter'))?.n).toEqual({ N: '2' });
  });

  it('is reachable over the HTTP door, cancellation reasons included', async () => {
    await transact([{ Put: { TableName, Item: { ...key('t6-http'), v: { S: 'one' } } } }], overHttp);
    expect((await get('t6-http'))?.v).toEqual({ S: 'one' });
    const failure = await failureOf(
      transact(
        [{ Put: { TableName, Item: key('t6-http'), ConditionExpression: 'attribute_not_exists(pk)' } }],
        overHttp,
      ),
    );
    expect(failure).toBeInstanceOf(TransactionCanceledException);
    expect(failure.CancellationReasons?.map((reason) => reason.Code)).toEqual(['ConditionalCheckFailed']);
  });

  it('is serialised with single-item writes to the same items: no update is lost, one claim wins', async () => {
    const add = (pk: string) => ({
      Update: {
        TableName,
        Key: key(pk),
        UpdateExpression: 'ADD n :one',
        ExpressionAttributeValues: { ':one': { N: '1' } },
      },
    });
    const rounds = 60;
    await Promise.all(
      Array.from({ length: rounds }, (_, index) =>
        index % 2 === 0
          ? transact([add('t7-a'), add('t7-b')])
          : db.client.send(new UpdateItemCommand(add(index % 4 === 1 ? 't7-a' : 't7-b').Update)),
      ),
    );
    // 30 transactions add to both; 15 single updates to each.
    expect((await get('t7-a'))?.n).toEqual({ N: '45' });
    expect((await get('t7-b'))?.n).toEqual({ N: '45' });

    const claims = await Promise.allSettled(
      Array.from({ length: 10 }, (_, index) =>
        index % 2 === 0
          ? transact([
              {
                Put: {
                  TableName,
                  Item: { ...key('t7-claim'), by: { S: `txn-${index}` } },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              { Put: { TableName, Item: { ...key(`t7-claimed-by-${index}`) } } },
            ])
          : db.client.send(
              new PutItemCommand({
                TableName,
                Item: { ...key('t7-claim'), by: { S: `put-${index}` } },
                ConditionExpression: 'attribute_not_exists(pk)',
              }),
            ),
      ),
    );
    expect(claims.filter((claim) => claim.status === 'fulfilled')).toHaveLength(1);
    const winner = (await get('t7-claim'))?.by?.S ?? '';
    for (let index = 0; index < 10; index += 2)
      expect(await get(`t7-claimed-by-${index}`)).toEqual(
        winner === `txn-${index}` ? key(`t7-claimed-by-${index}`) : undefined,
      );
  });

  it('is never seen half-applied by a concurrent reader, in the items or the index', async () => {
    const version = (item: Record<string, { N?: string }> | undefined) => Number(item?.v?.N ?? 0);
    let writing = true;
    let torn = 0;
    let looks = 0;
    const read = async () => {
      while (writing) {
        // Each transaction writes both items with the same version: read in either order, the
        // second read must see at least the version of the first.
        const a = version(await get('t8-a'));
        const b = version(await get('t8-b'));
        const a2 = version(await get('t8-a'));
        const entries = await inIndex('t8');
        const versions = new Set(entries.map((entry) => entry.v?.N));
        looks += 1;
        if (b < a || a2 < b || versions.size > 1) torn += 1;
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const readers = Array.from({ length: 4 }, read);
    for (let v = 1; v <= 200; v += 1) {
      const item = (pk: string) => ({
        ...key(pk),
        v: { N: String(v) },
        gsi1pk: { S: 't8' },
        gsi1sk: { S: `${pk}-${v % 3}` },
      });
      await transact([
        { Put: { TableName, Item: item('t8-a') } },
        { Put: { TableName, Item: item('t8-b') } },
      ]);
    }
    writing = false;
    await Promise.all(readers);
    expect(looks).toBeGreaterThan(0);
    expect(torn).toBe(0);
    expect((await inIndex('t8')).map((entry) => entry.v?.N)).toEqual(['200', '200']);
  });
});

describe('TransactWriteItems and kill -9', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'aios-txn-kill-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // A child commits transactions that write the same version into two items and an index entry
  // each, and is killed at a random moment: the reopened store holds every transaction the child
  // saw committed, and none in part.
  it('leaves each transaction whole or absent on disk', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'transact-write-items.child.ts'), dir],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let committed = 0;
    let killing = false;
    let firstAt = 0;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const killAt = 20 + Math.floor(Math.random() * 80);
    child.stdout.setEncoding('utf8');
    let buffered = '';
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) if (/^\d+$/.test(line)) committed = Number(line);
      if (committed === 1) firstAt = performance.now();
      // At a random moment up to one commit's time after one, so it can fall anywhere in the next.
      if (committed >= killAt && !killing) {
        killing = true;
        const commitMs = (performance.now() - firstAt) / (committed - 1);
        setTimeout(() => child.kill('SIGKILL'), Math.random() * commitMs);
      }
    });
    await exited;
    expect(child.signalCode).toBe('SIGKILL');
    const reopened = await startEmbeddedDynamoDB({ dir, tables: [TableName] });
    try {
      const versions = await Promise.all(
        Array.from({ length: 25 }, async (_, index) =>
          Number(
            (
              await reopened.client.send(
                new GetItemCommand({ TableName, Key: key(`kill-${index}`), ConsistentRead: true }),
              )
            ).Item?.v?.N ?? 0,
          ),
        ),
      );
      const first = versions[0] ?? 0;
      expect(first).toBeGreaterThanOrEqual(committed);
      expect(versions).toEqual(versions.map(() => first));
      const entries = (
        await reopened.client.send(
          new QueryCommand({
            TableName,
            IndexName: 'gsi1',
            KeyConditionExpression: 'gsi1pk = :pk',
            ExpressionAttributeValues: { ':pk': { S: 'kill' } },
          }),
        )
      ).Items;
      expect(entries?.map((entry) => entry.v?.N)).toEqual(versions.map(String));
    } finally {
      await reopened.close();
    }
  });
});
