import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmbeddedDynamoDB } from '../../../lib/local/embedded-dynamodb.ts';
import {
  createLocalQueue,
  InvalidParameterValueError,
  type LocalQueue,
  type QueueConfig,
  QueueDoesNotExistError,
  type QueueMessage,
  ReceiptHandleIsInvalidError,
} from '../../../lib/local/queue/index.ts';
import { queueCounts } from '../../support/queue-counts.ts';
import { startQueueStore } from './start-store.ts';

const T0 = Date.UTC(2026, 0, 1);

function fakeClock(start = T0) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

let store: EmbeddedDynamoDB;
let counter = 0;
/** A fresh, uniquely named queue (with its DLQ) so tests share one store without interfering. */
function setup(config: Partial<QueueConfig> = {}) {
  counter += 1;
  const name = `q${counter}`;
  const clock = fakeClock();
  const queues: QueueConfig[] = [
    { name, visibilityTimeoutSeconds: 30, maxReceiveCount: 3, deadLetterQueue: `${name}-dlq`, ...config },
  ];
  const queue = createLocalQueue({ client: store.client, queues, clock });
  return { name, dlq: `${name}-dlq`, clock, queue };
}

beforeAll(async () => {
  store = await startQueueStore();
});
afterAll(async () => {
  await store.close();
});

describe('visibility timeout', () => {
  it('hides a received message for the timeout, then delivers it again with a higher receive count', async () => {
    const { name, clock, queue } = setup();
    const id = await queue.send(name, '{"n":1}');

    const [first] = await queue.receive(name);
    expect(await queue.receive(name)).toEqual([]);
    clock.advance(29_999);
    expect(await queue.receive(name)).toEqual([]);
    clock.advance(1);
    const [second] = await queue.receive(name);

    expect(first).toMatchObject({ messageId: id, body: '{"n":1}' });
    expect(first?.attributes).toMatchObject({
      ApproximateReceiveCount: '1',
      SentTimestamp: String(T0),
      ApproximateFirstReceiveTimestamp: String(T0),
    });
    expect(second?.messageId).toBe(id);
    expect(second?.attributes.ApproximateReceiveCount).toBe('2');
    expect(second?.attributes.ApproximateFirstReceiveTimestamp).toBe(String(T0));
    expect(second?.receiptHandle).not.toBe(first?.receiptHandle);
  });

  it('honours a per-receive visibility timeout', async () => {
    const { name, clock, queue } = setup();
    await queue.send(name, 'a');
    await queue.receive(name, { visibilityTimeoutSeconds: 5 });
    clock.advance(4_999);
    expect(await queue.receive(name)).toEqual([]);
    clock.advance(1);
    const [again] = await queue.receive(name, { visibilityTimeoutSeconds: 1 });
    expect(again?.attributes.ApproximateReceiveCount).toBe('2');
  });
});

describe('dead-letter queue', () => {
  it('moves a message to the DLQ on the receive after maxReceiveCount, keeping its body and attributes', async () => {
    const { name, dlq, clock, queue } = setup({ maxReceiveCount: 2 });
    const id = await queue.send(name, 'poison');
    clock.advance(1_000);
    await queue.receive(name);
    clock.advance(30_000);
    const [second] = await queue.receive(name);
    clock.advance(30_000);

    expect(second?.attributes.ApproximateReceiveCount).toBe('2');
    expect(await queue.receive(name)).toEqual([]);
    expect((await queue.list(name)).length).toBe(0);
    const [dead] = await queue.receive(dlq);
    expect(dead?.messageId).toBe(id);
    expect(dead?.body).toBe('poison');
    expect(dead?.attributes).toMatchObject({
      ApproximateReceiveCount: '3',
      SentTimestamp: String(T0),
      ApproximateFirstReceiveTimestamp: String(T0 + 1_000),
      DeadLetterQueueSourceArn: `arn:aws:sqs:local:000000000000:${name}`,
    });
  });

  it('redrives dead-lettered messages back to their source with a fresh receive count', async () => {
    const { name, dlq, clock, queue } = setup({ maxReceiveCount: 1 });
    const ids = [await queue.send(name, 'a'), await queue.send(name, 'b')];
    await queue.receive(name, { maxMessages: 10 });
    clock.advance(30_000);
    expect(await queue.receive(name, { maxMessages: 10 })).toEqual([]);
    expect(await queue.list(dlq)).toHaveLength(2);

    const moved = await queue.redrive(dlq);

    expect(moved).toBe(2);
    expect((await queue.list(dlq)).length).toBe(0);
    const back = await queue.receive(name, { maxMessages: 10 });
    expect(back.map((m) => m.messageId).sort()).toEqual([...ids].sort());
    expect(back.map((m) => m.attributes.ApproximateReceiveCount)).toEqual(['1', '1']);
    expect(back.every((m) => m.attributes.DeadLetterQueueSourceArn === undefined)).toBe(true);
  });
});

describe('receipt handles', () => {
  it('a stale receipt handle does not delete a message that was received again', async () => {
    const { name, clock, queue } = setup();
    await queue.send(name, 'x');
    const [first] = await queue.receive(name);
    clock.advance(30_000);
    const [second] = await queue.receive(name);

    expect(await queue.deleteMessage(name, first?.receiptHandle ?? '')).toBe(false);
    expect(await queueCounts(queue, name)).toEqual({ visible: 0, inFlight: 1, total: 1 });
    expect(await queue.deleteMessage(name, second?.receiptHandle ?? '')).toBe(true);
    expect(await queue.list(name)).toEqual([]);
  });

  it('deletes with the latest handle even after the visibility timeout, if nobody received it since', async () => {
    const { name, clock, queue } = setup();
    await queue.send(name, 'x');
    const [message] = await queue.receive(name);
    clock.advance(60_000);
    expect(await queue.deleteMessage(name, message?.receiptHandle ?? '')).toBe(true);
    expect(await queue.receive(name)).toEqual([]);
  });

  it('rejects a malformed handle or one issued by another queue', async () => {
    const a = setup();
    const b = setup();
    await a.queue.send(a.name, 'x');
    const [message] = await a.queue.receive(a.name);
    await expect(b.queue.deleteMessage(b.name, 'garbage')).rejects.toBeInstanceOf(
      ReceiptHandleIsInvalidError,
    );
    await expect(
      createLocalQueue({
        client: store.client,
        queues: [
          { name: a.name, visibilityTimeoutSeconds: 30 },
          { name: b.name, visibilityTimeoutSeconds: 30 },
        ],
      }).deleteMessage(b.name, message?.receiptHandle ?? ''),
    ).rejects.toBeInstanceOf(ReceiptHandleIsInvalidError);
  });
});

describe('concurrent receivers', () => {
  it('never hand the same message to two receivers within one visibility window', async () => {
    const { name, queue } = setup();
    const sent = new Set(await Promise.all(Array.from({ length: 200 }, (_, i) => queue.send(name, `m${i}`))));
    // Four receivers, each with its own client, as four processes would have.
    const clients = Array.from(
      { length: 4 },
      () =>
        new DynamoDBClient({
          endpoint: store.endpoint,
          region: 'local',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }),
    );
    const clock = fakeClock();
    const receivers = clients.map((client) =>
      createLocalQueue({ client, queues: [{ name, visibilityTimeoutSeconds: 30 }], clock }),
    );
    const deliveries: QueueMessage[] = [];

    await Promise.all(
      receivers.map(async (receiver) => {
        for (let emptyPolls = 0; emptyPolls < 3; ) {
          const batch = await receiver.receive(name, { maxMessages: 10 });
          emptyPolls = batch.length === 0 ? emptyPolls + 1 : 0;
          deliveries.push(...batch);
          await receiver.deleteMessages(
            name,
            batch.map((m) => m.receiptHandle),
          );
        }
      }),
    );
    for (const client of clients) client.destroy();

    const ids = deliveries.map((m) => m.messageId);
    expect(ids).toHaveLength(200);
    expect(new Set(ids)).toEqual(sent);
    expect(deliveries.every((m) => m.attributes.ApproximateReceiveCount === '1')).toBe(true);
    expect((await queue.list(name)).length).toBe(0);
  });
});

/** Records the operation of every request `client` sends while `body` runs. */
async function requestsDuring<T>(body: () => Promise<T>, before?: (operation: string) => Promise<void>) {
  const operations: string[] = [];
  const name = `requests${counter}`;
  store.client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName).replace(/Command$/, '');
      operations.push(operation);
      await before?.(operation);
      return next(args);
    },
    { step: 'initialize', name },
  );
  try {
    return { result: await body(), operations };
  } finally {
    store.client.middlewareStack.remove(name);
  }
}

describe('batched store requests', () => {
  it('claims a receive in one request and deletes a batch in one, oldest first', async () => {
    const { name, queue } = setup();
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) sent.push(await queue.send(name, `m${i}`));

    const received = await requestsDuring(() => queue.receive(name, { maxMessages: 5 }));
    expect(received.operations).toEqual(['Query', 'TransactWriteItems']);
    expect(received.result.map((m) => m.messageId)).toEqual(sent);
    expect(received.result.map((m) => m.attributes.ApproximateReceiveCount)).toEqual([
      '1',
      '1',
      '1',
      '1',
      '1',
    ]);
    expect(await queue.receive(name)).toEqual([]);

    const deleted = await requestsDuring(() =>
      queue.deleteMessages(
        name,
        received.result.map((m) => m.receiptHandle),
      ),
    );
    expect(deleted).toEqual({ result: [true, true, true, true, true], operations: ['TransactWriteItems'] });
    expect(await queue.list(name)).toEqual([]);
  });

  it('claims one by one what another receiver took part of first, and never gives a message twice', async () => {
    const { name, clock, queue } = setup();
    for (let i = 0; i < 4; i++) await queue.send(name, `m${i}`);
    const rival = createLocalQueue({ client: store.client, queues: [queue.config(name)], clock });
    let rivalGot: QueueMessage[] = [];
    // The rival receives one message between this receive's read and its claim.
    const { result, operations } = await requestsDuring(
      () => queue.receive(name, { maxMessages: 4 }),
      async (operation) => {
        if (operation !== 'TransactWriteItems' || rivalGot.length > 0) return;
        rivalGot = await rival.receive(name, { maxMessages: 1 });
      },
    );
    expect(rivalGot.map((m) => m.body)).toEqual(['m0']);
    expect(result.map((m) => m.body)).toEqual(['m1', 'm2', 'm3']);
    // Ours: the read, the refused transaction, then one claim each. The rival's: a read, a claim.
    expect(operations).toEqual([
      'Query',
      'TransactWriteItems',
      'Query',
      'UpdateItem',
      ...['UpdateItem', 'UpdateItem', 'UpdateItem', 'UpdateItem'],
    ]);
  });

  it('a batch delete with a stale handle deletes the current ones and answers false for it', async () => {
    const { name, queue } = setup();
    for (let i = 0; i < 3; i++) await queue.send(name, `m${i}`);
    const first = await queue.receive(name, { maxMessages: 3 });
    // m1 comes back and is received again: its first handle is stale now.
    expect(await queue.changeVisibility(name, first[1]?.receiptHandle ?? '', 0)).toBe(true);
    const again = await queue.receive(name);
    expect(again.map((m) => m.body)).toEqual(['m1']);

    const flags = await queue.deleteMessages(
      name,
      first.map((m) => m.receiptHandle),
    );
    expect(flags).toEqual([true, false, true]);
    expect((await queue.list(name)).map((m) => [m.body, m.state])).toEqual([['m1', 'inFlight']]);
    // Two handles of one message in one batch: the current one deletes it, the other does not.
    expect(
      await queue.deleteMessages(name, [again[0]?.receiptHandle ?? '', first[1]?.receiptHandle ?? '']),
    ).toEqual([true, false]);
    await expect(queue.deleteMessages(name, ['garbage'])).rejects.toBeInstanceOf(ReceiptHandleIsInvalidError);
  });
});

describe('listing and validation', () => {
  it('lists messages with their state for the CLI', async () => {
    const { name, queue } = setup();
    await queue.send(name, 'one');
    await queue.send(name, 'three');
    await queue.receive(name);

    const states = Object.fromEntries((await queue.list(name)).map((m) => [m.body, m.state]));

    expect(states).toEqual({ one: 'inFlight', three: 'visible' });
    expect(await queueCounts(queue, name)).toEqual({ visible: 1, inFlight: 1, total: 2 });
  });

  it('refuses unknown queues and out-of-range parameters as SQS does', async () => {
    const { name, queue } = setup();
    await expect(queue.send('nope', 'x')).rejects.toBeInstanceOf(QueueDoesNotExistError);
    await expect(queue.receive(name, { maxMessages: 11 })).rejects.toBeInstanceOf(InvalidParameterValueError);
    await expect(queue.send(name, '')).rejects.toBeInstanceOf(InvalidParameterValueError);
    await expect(queue.send(name, 'x'.repeat(262_145))).rejects.toThrow(/262144 bytes/);
  });
});

describe('releaseInFlight (a consumer starting after its previous process died)', () => {
  it('makes the in-flight messages visible at once; visible and deleted ones are untouched', async () => {
    const { name, queue } = setup();
    await queue.send(name, 'held');
    await queue.send(name, 'done');
    const received = await queue.receive(name, { maxMessages: 10 });
    const done = received.find((m) => m.body === 'done');
    await queue.deleteMessage(name, done?.receiptHandle ?? '');
    await queue.send(name, 'waiting');

    expect(await queue.releaseInFlight(name)).toBe(1);
    const again = await queue.receive(name, { maxMessages: 10 });
    expect(again.map((m) => m.body).sort()).toEqual(['held', 'waiting']);
    expect(again.find((m) => m.body === 'held')?.attributes.ApproximateReceiveCount).toBe('2');
    expect(await queue.releaseInFlight(name)).toBe(2);
  });
});

describe('durability', () => {
  it('keeps every message across a restart of the store; in-flight ones reappear after their timeout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aios-queue-'));
    try {
      const queues: QueueConfig[] = [{ name: 'durable', visibilityTimeoutSeconds: 30 }];
      const clock = fakeClock();
      const first = await startQueueStore(dir);
      const before: LocalQueue = createLocalQueue({ client: first.client, queues, clock });
      const inFlightId = await before.send('durable', 'in flight');
      await before.receive('durable');
      const waitingId = await before.send('durable', 'waiting');
      await first.close();

      const second = await startQueueStore(dir);
      try {
        const after = createLocalQueue({ client: second.client, queues, clock });
        expect((await after.list('durable')).map((m) => m.messageId).sort()).toEqual(
          [inFlightId, waitingId].sort(),
        );
        const [now] = await after
          .receive('durable', { maxMessages: 10 })
          .then((m) => m.map((x) => x.messageId));
        expect(now).toBe(waitingId);
        clock.advance(30_000);
        const [reappeared] = await after.receive('durable');
        expect(reappeared?.messageId).toBe(inFlightId);
        expect(reappeared?.attributes.ApproximateReceiveCount).toBe('2');
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
