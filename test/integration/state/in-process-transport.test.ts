import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AttributeValue,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ResourceNotFoundException,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  QueryCommand as DocumentQueryCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
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

/**
 * A value as a caller sees it, classes included: a Uint8Array, a Date or a Set where the SDK makes
 * one, so two answers compare equal only if they hold the same data in the same types. The request
 * id is left out: the HTTP endpoint makes one up per request, the in-process door has none.
 */
function seen(value: unknown): unknown {
  if (value instanceof Uint8Array) return { [value.constructor.name]: [...value] };
  if (value instanceof Date) return { Date: value.toISOString() };
  if (value instanceof Set) return { Set: [...value].map(seen) };
  if (Array.isArray(value)) return value.map(seen);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([name]) => name !== 'requestId');
    return {
      [value.constructor?.name ?? 'null-prototype']: Object.fromEntries(
        entries.map(([k, v]) => [k, seen(v)]),
      ),
    };
  }
  return value;
}

/** Runs `send` through both doors, one after the other, and returns what each answered or threw. */
async function bothDoors<T>(send: (client: DynamoDBClient) => Promise<T>) {
  const outcome = (client: DynamoDBClient) =>
    send(client).then(
      (output) => ({ output: seen(output) }),
      (error: Error & { $fault?: unknown }) => ({
        error: { ...(seen(error) as object), name: error.name, message: error.message, fault: error.$fault },
      }),
    );
  const inProcess = await outcome(db.client);
  const http = await outcome(overHttp);
  return { inProcess, http };
}

const bytes = (...values: number[]) => new Uint8Array(values);
/** Every attribute type, binary ones at the top and nested in a list and a map. */
const everyType = (id: string): Record<string, AttributeValue> => ({
  ...key(id),
  b: { B: bytes(0, 1, 2, 254, 255) },
  bs: { BS: [bytes(1), bytes(2, 3)] },
  n: { N: '12.50' },
  ns: { NS: ['1', '2.5'] },
  ss: { SS: ['x', 'y'] },
  bool: { BOOL: false },
  nil: { NULL: true },
  l: { L: [{ S: 'a' }, { B: bytes(9) }, { M: { deep: { B: bytes(7, 7) } } }] },
  m: { M: { s: { S: 'é ✓ "quoted"\n' }, b: { B: bytes() } } },
});

describe('the in-process door answers every operation as HTTP does', () => {
  it('writes and reads every attribute type, binary ones as Uint8Array, with the same $metadata', async () => {
    // Written once first, so each door's put finds the same old item to return.
    await db.client.send(new PutItemCommand({ TableName, Item: everyType('types') }));
    const put = await bothDoors((client) =>
      client.send(new PutItemCommand({ TableName, Item: everyType('types'), ReturnValues: 'ALL_OLD' })),
    );
    expect(put.inProcess).toEqual(put.http);
    const read = await bothDoors((client) =>
      client.send(new GetItemCommand({ TableName, Key: key('types'), ConsistentRead: true })),
    );
    expect(read.inProcess).toEqual(read.http);
    const item = (await db.client.send(new GetItemCommand({ TableName, Key: key('types') }))).Item;
    expect(item?.b?.B).toBeInstanceOf(Uint8Array);
    expect([...(item?.b?.B ?? [])]).toEqual([0, 1, 2, 254, 255]);
    expect(read.inProcess).toMatchObject({
      output: { Object: { $metadata: { Object: { httpStatusCode: 200, attempts: 1, totalRetryDelay: 0 } } } },
    });
  });

  it('answers updates, queries, scans and batches alike, pages included', async () => {
    for (const i of [1, 2, 3])
      await db.client.send(
        new PutItemCommand({ TableName, Item: { ...everyType(`page${i}`), i: { N: `${i}` } } }),
      );
    const sends: Array<(client: DynamoDBClient) => Promise<unknown>> = [
      (client) =>
        client.send(
          new UpdateItemCommand({
            TableName,
            Key: key('page1'),
            UpdateExpression: 'SET i = :two, payload = :blob',
            ExpressionAttributeValues: { ':two': { N: '2' }, ':blob': { B: bytes(5) } },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      (client) =>
        client.send(
          new QueryCommand({
            TableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': { S: 'transport#page2' } },
            ConsistentRead: true,
          }),
        ),
      (client) => client.send(new ScanCommand({ TableName, Limit: 2 })),
      // DynamoDB gives a batch's items in no set order (dynalite reads them at once), so they are
      // compared in key order.
      (client) =>
        client
          .send(
            new BatchGetItemCommand({
              RequestItems: {
                [TableName]: { Keys: [key('page2'), key('page3'), key('absent')], ConsistentRead: true },
              },
            }),
          )
          .then((output) => ({
            ...output,
            Responses: {
              [TableName]: [...(output.Responses?.[TableName] ?? [])].sort((a, b) =>
                String(a.pk?.S).localeCompare(String(b.pk?.S)),
              ),
            },
          })),
      (client) =>
        client.send(
          new BatchWriteItemCommand({
            RequestItems: { [TableName]: [{ PutRequest: { Item: everyType('batch') } }] },
          }),
        ),
      (client) => client.send(new DescribeTableCommand({ TableName })),
    ];
    for (const send of sends) {
      const { inProcess, http } = await bothDoors(send);
      expect(inProcess).toEqual(http);
      expect(inProcess).toHaveProperty('output');
    }
  });

  // dynalite 4 returns no Item on a failed condition, whatever ReturnValuesOnConditionCheckFailure
  // asks (Powertools then reads the record); the door must still give the same exception.
  it('fails a condition with the same exception class, $fault and $metadata', async () => {
    await db.client.send(new PutItemCommand({ TableName, Item: everyType('guarded') }));
    const { inProcess, http } = await bothDoors((client) =>
      client.send(
        new PutItemCommand({
          TableName,
          Item: key('guarded'),
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
    expect(inProcess).toEqual(http);
    const thrown = await db.client
      .send(
        new PutItemCommand({
          TableName,
          Item: key('guarded'),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      )
      .catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(ConditionalCheckFailedException);
    expect(inProcess).toMatchObject({
      error: {
        name: 'ConditionalCheckFailedException',
        fault: 'client',
        ConditionalCheckFailedException: { $metadata: { Object: { httpStatusCode: 400, attempts: 1 } } },
      },
    });
  });

  it('serves document clients alike: marshalling in, unmarshalling out, sets and binaries', async () => {
    const documents = (client: DynamoDBClient) =>
      DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    const Key = { pk: 'transport#doc', sk: 'item' };
    const sends: Array<(client: DynamoDBClient) => Promise<unknown>> = [
      (client) =>
        documents(client).send(
          new PutCommand({
            TableName,
            Item: {
              ...Key,
              n: 1.5,
              tags: new Set(['a', 'b']),
              raw: bytes(1, 2),
              nested: { list: [1, 'x', null] },
              gone: undefined,
            },
          }),
        ),
      (client) => documents(client).send(new GetCommand({ TableName, Key, ConsistentRead: true })),
      (client) =>
        documents(client).send(
          new UpdateCommand({
            TableName,
            Key,
            UpdateExpression: 'SET n = :n, added = :added',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':n': 3.5, ':added': new Set([1, 2]) },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      (client) =>
        documents(client).send(
          new DocumentQueryCommand({
            TableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': Key.pk },
          }),
        ),
      (client) =>
        documents(client).send(
          new DeleteCommand({
            TableName,
            Key: { ...Key, sk: 'nothing' },
            ConditionExpression: 'attribute_exists(pk)',
          }),
        ),
    ];
    for (const send of sends) {
      const { inProcess, http } = await bothDoors(send);
      expect(inProcess).toEqual(http);
    }
    const read = await documents(db.client).send(new GetCommand({ TableName, Key }));
    expect(read.Item).toMatchObject({ n: 3.5, tags: new Set(['a', 'b']), nested: { list: [1, 'x', null] } });
    expect(read.Item?.raw).toBeInstanceOf(Uint8Array);
  });

  it('never sends a request of its own client over HTTP', async () => {
    expect(() => db.client.config.requestHandler).not.toThrow();
    const handler = db.client.config.requestHandler as { handle(): Promise<unknown> };
    await expect(handler.handle()).rejects.toThrow(/over HTTP/);
  });
});

/**
 * The in-process client works out the order of a command's middlewares once and composes each
 * request from it (lib/local/middleware-order-cache.ts): each request must still get its own input,
 * context and middlewares, and a change to the client's stack must show at the next request.
 */
describe('the order of middlewares the in-process client remembers', () => {
  type Args = { input: Record<string, unknown> };
  type Next = (args: Args) => Promise<unknown>;
  const documents = (client: DynamoDBClient) => DynamoDBDocumentClient.from(client);
  /** Adds the same spy middlewares, at every step and in relations, to a client; returns what each saw. */
  const spies = (client: DynamoDBClient, tag: string) => {
    const calls: string[] = [];
    const spy = (name: string) => (next: Next) => async (args: Args) => {
      calls.push(name);
      return next(args);
    };
    // Not at 'deserialize' with low priority: below the deserializer is the transport, which the
    // in-process door replaces (its deserializer answers without calling on).
    const steps = ['initialize', 'serialize', 'build', 'finalizeRequest', 'deserialize'] as const;
    const placed = steps.flatMap((step) =>
      (step === 'deserialize' ? (['high'] as const) : (['high', 'low'] as const)).map((priority) => ({
        step,
        priority,
      })),
    );
    for (const { step, priority } of placed)
      client.middlewareStack.add(
        spy(`${step}-${priority}`) as never,
        {
          step,
          priority,
          name: `${tag}-${step}-${priority}`,
        } as never,
      );
    client.middlewareStack.addRelativeTo(
      spy('after-user-agent') as never,
      {
        name: `${tag}-after-user-agent`,
        relation: 'after',
        toMiddleware: 'getUserAgentMiddleware',
      } as never,
    );
    client.middlewareStack.addRelativeTo(
      spy('before-serializer') as never,
      {
        name: `${tag}-before-serializer`,
        relation: 'before',
        toMiddleware: 'serializerMiddleware',
      } as never,
    );
    return {
      calls,
      remove: () => {
        for (const { step, priority } of placed) client.middlewareStack.remove(`${tag}-${step}-${priority}`);
        client.middlewareStack.remove(`${tag}-after-user-agent`);
        client.middlewareStack.remove(`${tag}-before-serializer`);
      },
    };
  };

  it('gives each of two commands of one class in a row its own input, base and document alike', async () => {
    const doc = documents(db.client);
    await doc.send(new PutCommand({ TableName, Item: { pk: 'order#1', sk: 'item', v: 1 } }));
    await doc.send(new PutCommand({ TableName, Item: { pk: 'order#2', sk: 'item', v: 2 } }));
    const first = await doc.send(new GetCommand({ TableName, Key: { pk: 'order#1', sk: 'item' } }));
    const second = await doc.send(new GetCommand({ TableName, Key: { pk: 'order#2', sk: 'item' } }));
    expect([first.Item?.v, second.Item?.v]).toEqual([1, 2]);
    const base = await db.client.send(
      new GetItemCommand({ TableName, Key: { pk: { S: 'order#2' }, sk: { S: 'item' } } }),
    );
    expect(base.Item?.v).toEqual({ N: '2' });
    // The same command sent twice keeps its own middlewares once each.
    const again = new GetCommand({ TableName, Key: { pk: 'order#1', sk: 'item' } });
    expect((await doc.send(again)).Item?.v).toBe(1);
    expect((await doc.send(again)).Item?.v).toBe(1);
  });

  it('keeps concurrent requests of one class apart, each with its own context', async () => {
    const contexts = new Set<unknown>();
    db.client.middlewareStack.add(
      ((next: Next, context: unknown) => async (args: Args) => {
        contexts.add(context);
        return next(args);
      }) as never,
      { step: 'initialize', name: 'contexts' } as never,
    );
    try {
      const doc = documents(db.client);
      const ids = Array.from({ length: 20 }, (_, i) => i);
      await Promise.all(
        ids.map((i) =>
          doc.send(new PutCommand({ TableName, Item: { pk: `concurrent#${i}`, sk: 'item', i } })),
        ),
      );
      const read = await Promise.all(
        ids.map((i) => doc.send(new GetCommand({ TableName, Key: { pk: `concurrent#${i}`, sk: 'item' } }))),
      );
      expect(read.map((r) => r.Item?.i)).toEqual(ids);
      expect(contexts.size).toBe(40);
    } finally {
      db.client.middlewareStack.remove('contexts');
    }
  });

  it('runs middlewares in the order a client over HTTP runs them, added after the first request or removed', async () => {
    const send = (client: DynamoDBClient) =>
      documents(client).send(new GetCommand({ TableName, Key: { pk: 'order#1', sk: 'item' } }));
    // Both clients have sent GetItem before: the spies are added after their first requests.
    await send(db.client);
    await send(overHttp);
    const inProcess = spies(db.client, 'spy');
    const http = spies(overHttp, 'spy');
    try {
      await send(db.client);
      await send(overHttp);
      expect(inProcess.calls).toEqual(http.calls);
      expect(inProcess.calls).toHaveLength(11);
      // A base command of the same operation goes through the same spies.
      inProcess.calls.length = 0;
      http.calls.length = 0;
      const get = (client: DynamoDBClient) =>
        client.send(new GetItemCommand({ TableName, Key: { pk: { S: 'order#1' }, sk: { S: 'item' } } }));
      await get(db.client);
      await get(overHttp);
      expect(inProcess.calls).toEqual(http.calls);
    } finally {
      inProcess.remove();
      http.remove();
    }
    inProcess.calls.length = 0;
    await send(db.client);
    expect(inProcess.calls).toEqual([]);
  });

  it('runs a middleware a single command adds, for that command only', async () => {
    const calls: string[] = [];
    const command = new GetItemCommand({ TableName, Key: { pk: { S: 'order#1' }, sk: { S: 'item' } } });
    command.middlewareStack.add(
      ((next: Next) => async (args: Args) => {
        calls.push('own');
        return next(args);
      }) as never,
      { step: 'build', name: 'own' } as never,
    );
    await db.client.send(command);
    await db.client.send(new GetItemCommand({ TableName, Key: { pk: { S: 'order#1' }, sk: { S: 'item' } } }));
    expect(calls).toEqual(['own']);
  });

  it('resolves no endpoint: nothing in the process reads it', async () => {
    const provider = db.client.config.endpointProvider;
    let resolved = 0;
    db.client.config.endpointProvider = ((...args: Parameters<typeof provider>) => {
      resolved += 1;
      return provider(...args);
    }) as typeof provider;
    try {
      await documents(db.client).send(new GetCommand({ TableName, Key: { pk: 'order#1', sk: 'item' } }));
      await db.client.send(new GetItemCommand({ TableName, Key: key('taken') }));
    } finally {
      db.client.config.endpointProvider = provider;
    }
    expect(resolved).toBe(0);
  });

  it('fails a middleware placed next to one that is not there with the error HTTP gives', async () => {
    const misplaced = (client: DynamoDBClient) =>
      client.middlewareStack.addRelativeTo(
        ((next: Next) => next) as never,
        {
          name: 'misplaced',
          relation: 'after',
          toMiddleware: 'noSuchMiddleware',
        } as never,
      );
    misplaced(db.client);
    misplaced(overHttp);
    try {
      // The SDK throws it from send itself, as it resolves the stack.
      const { inProcess, http } = await bothDoors(async (client) =>
        client.send(new GetItemCommand({ TableName, Key: key('taken') })),
      );
      expect(inProcess).toEqual(http);
      expect(inProcess).toMatchObject({ error: { message: expect.stringMatching(/noSuchMiddleware/) } });
    } finally {
      db.client.middlewareStack.remove('misplaced');
      overHttp.middlewareStack.remove('misplaced');
    }
    await expect(db.client.send(new GetItemCommand({ TableName, Key: key('taken') }))).resolves.toBeDefined();
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
