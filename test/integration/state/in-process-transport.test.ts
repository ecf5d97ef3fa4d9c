import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ResourceNotFoundException,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EmbeddedDynamoDB,
  StoreClosedError,
  startEmbeddedDynamoDB,
} from '../../../lib/local/embedded-dynamodb.ts';
import { TABLE_NAMES } from '../../../lib/local/table-definitions.ts';

/*
 * The embedded store's own client calls dynalite in-process; other processes reach the same store
 * over HTTP. Adapters tell outcomes apart by the exception the SDK maps (conditional writes, a
 * missing table, a bad request), so both doors must answer alike, byte for byte where it shows.
 */

const TableName = TABLE_NAMES.state;
let db: EmbeddedDynamoDB;
let overHttp: DynamoDBClient;

beforeAll(async () => {
  db = await startEmbeddedDynamoDB({ tables: [TableName] });
  overHttp = new DynamoDBClient({
    endpoint: db.endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
});
afterAll(async () => {
  overHttp.destroy();
  await db.close();
});

type Send = (client: DynamoDBClient) => Promise<unknown>;

/** What a caller can see of a failure: class, name, message, status, and the item some return. */
async function failureOf(send: Send, client: DynamoDBClient) {
  const error = await send(client).then(
    () => undefined,
    (e: unknown) => e as Error & { $metadata?: { httpStatusCode?: number }; Item?: unknown },
  );
  if (!error) throw new Error('the request succeeded');
  return {
    conditional: error instanceof ConditionalCheckFailedException,
    notFound: error instanceof ResourceNotFoundException,
    name: error.name,
    message: error.message,
    status: error.$metadata?.httpStatusCode,
    item: error.Item,
  };
}

const key = (id: string) => ({ pk: { S: `transport#${id}` }, sk: { S: 'item' } });

const failures: Array<[string, Send, Partial<Awaited<ReturnType<typeof failureOf>>>]> = [
  [
    'a conditional put on an item that exists (ALL_OLD asked on failure, as Powertools idempotency does)',
    (client) =>
      client.send(
        new PutItemCommand({
          TableName,
          Item: { ...key('taken'), v: { N: '2' } },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    { conditional: true, name: 'ConditionalCheckFailedException', status: 400 },
  ],
  [
    'a versioned update whose version moved on',
    (client) =>
      client.send(
        new UpdateItemCommand({
          TableName,
          Key: key('taken'),
          UpdateExpression: 'SET v = :next',
          ConditionExpression: 'v = :seen',
          ExpressionAttributeValues: { ':seen': { N: '0' }, ':next': { N: '1' } },
        }),
      ),
    { conditional: true, name: 'ConditionalCheckFailedException', status: 400 },
  ],
  [
    'a table that does not exist',
    (client) => client.send(new GetItemCommand({ TableName: 'aios-nowhere', Key: key('x') })),
    { notFound: true, name: 'ResourceNotFoundException', status: 400 },
  ],
  [
    'a key that is not the table key',
    (client) => client.send(new GetItemCommand({ TableName, Key: { id: { S: 'x' } } })),
    { name: 'ValidationException', status: 400 },
  ],
  [
    'an update expression that does not parse',
    (client) =>
      client.send(new UpdateItemCommand({ TableName, Key: key('taken'), UpdateExpression: 'SET = oops' })),
    { name: 'ValidationException', status: 400 },
  ],
];

describe('the in-process DynamoDB transport', () => {
  beforeAll(async () => {
    await db.client.send(new PutItemCommand({ TableName, Item: { ...key('taken'), v: { N: '1' } } }));
  });

  it.each(failures)('maps %s to the same error as HTTP', async (_, send, expected) => {
    const inProcess = await failureOf(send, db.client);
    const http = await failureOf(send, overHttp);
    expect(inProcess).toEqual(http);
    expect(inProcess).toMatchObject(expected);
    expect(inProcess.message.length).toBeGreaterThan(0);
  });

  it('answers reads and queries as HTTP does, on the one store both doors share', async () => {
    await db.client.send(new PutItemCommand({ TableName, Item: { ...key('a'), n: { N: '1' } } }));
    await overHttp.send(new PutItemCommand({ TableName, Item: { ...key('b'), n: { N: '2' } } }));
    const read = (client: DynamoDBClient, id: string) =>
      client.send(new GetItemCommand({ TableName, Key: key(id), ConsistentRead: true })).then((r) => r.Item);
    expect(await read(db.client, 'b')).toEqual(await read(overHttp, 'b'));
    expect(await read(overHttp, 'a')).toEqual({ ...key('a'), n: { N: '1' } });
    const query = (client: DynamoDBClient) =>
      client
        .send(
          new QueryCommand({
            TableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': { S: 'transport#a' } },
          }),
        )
        .then((r) => r.Items);
    expect(await query(db.client)).toEqual(await query(overHttp));
  });
});

describe('closing the embedded store', () => {
  it('lets every write it took finish whole, refuses later ones, and marks the store closed cleanly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aios-transport-'));
    try {
      const store = await startEmbeddedDynamoDB({ dir, tables: [TableName] });
      const write = (i: number) =>
        store.client.send(new PutItemCommand({ TableName, Item: { ...key(`w${i}`), i: { N: String(i) } } }));
      await write(0);
      const writes = Array.from({ length: 40 }, (_, i) => write(i + 1));
      // Closed while the writes are at every stage: queued in the SDK, in dynalite, answered.
      await new Promise((resolve) => setImmediate(resolve));
      await store.close();
      const outcomes = await Promise.allSettled(writes);
      for (const outcome of outcomes)
        if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(StoreClosedError);
      await expect(
        store.client.send(new GetItemCommand({ TableName, Key: key('w0') })),
      ).rejects.toBeInstanceOf(StoreClosedError);

      const reopened = await startEmbeddedDynamoDB({ dir, tables: [TableName] });
      try {
        expect(reopened.repair).toBeUndefined();
        for (const [i, outcome] of outcomes.entries()) {
          const { Item } = await reopened.client.send(
            new GetItemCommand({ TableName, Key: key(`w${i + 1}`), ConsistentRead: true }),
          );
          expect(Item?.i).toEqual(outcome.status === 'fulfilled' ? { N: String(i + 1) } : undefined);
        }
      } finally {
        await reopened.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
