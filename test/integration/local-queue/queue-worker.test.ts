import { createHash } from 'node:crypto';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EmbeddedDynamoDB } from '../../../lib/local/embedded-dynamodb.ts';
import {
  createLocalQueue,
  HandlerTimedOutError,
  InvalidBatchResponseError,
  pollQueueOnce,
  type QueueErrorDetails,
  QueueHandlerError,
  startQueueWorker,
} from '../../../lib/local/queue/index.ts';
import { startQueueStore } from './start-store.ts';

let store: EmbeddedDynamoDB;
let counter = 0;
function setup() {
  counter += 1;
  const name = `worker${counter}`;
  let now = Date.UTC(2026, 0, 1);
  const clock = { now: () => now, advance: (ms: number) => (now += ms) };
  const queue = createLocalQueue({
    client: store.client,
    queues: [{ name, visibilityTimeoutSeconds: 30, maxReceiveCount: 5, deadLetterQueue: `${name}-dlq` }],
    clock,
  });
  const errors: { error: Error; details: QueueErrorDetails }[] = [];
  const onError = (error: Error, details: QueueErrorDetails) => errors.push({ error, details });
  return { name, clock, queue, errors, onError };
}

/** A gateway-style handler: Powertools partial batch processing, failing the records whose body is "bad". */
function powertoolsHandler(handled: string[]) {
  const processor = new BatchProcessor(EventType.SQS);
  const recordHandler = async (record: SQSRecord) => {
    if (record.body.startsWith('bad')) throw new Error(`cannot handle ${record.body}`);
    handled.push(record.body);
  };
  return (event: SQSEvent, context: Context) =>
    processPartialResponse(event, recordHandler, processor, { context });
}

beforeAll(async () => {
  store = await startQueueStore();
});
afterAll(async () => {
  await store.close();
});

describe('pollQueueOnce', () => {
  it('hands the handler a Lambda-shaped SQS event', async () => {
    const { name, queue, onError } = setup();
    const id = await queue.send(name, '{"action":"email"}');
    const events: SQSEvent[] = [];
    const contexts: Context[] = [];

    await pollQueueOnce({
      queue,
      queueName: name,
      handler: async (event, context) => {
        events.push(event);
        contexts.push(context);
        return { batchItemFailures: [] };
      },
      onError,
    });

    const record = events[0]?.Records[0];
    expect(record).toMatchObject({
      messageId: id,
      body: '{"action":"email"}',
      messageAttributes: {},
      md5OfBody: createHash('md5').update('{"action":"email"}').digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:local:000000000000:${name}`,
      awsRegion: 'local',
      attributes: { ApproximateReceiveCount: '1', SenderId: '000000000000' },
    });
    expect(record?.receiptHandle).toEqual(expect.any(String));
    expect(record?.attributes.SentTimestamp).toMatch(/^\d+$/);
    // The function timeout defaults to a sixth of the 30 s visibility timeout, as on AWS.
    expect(contexts[0]?.getRemainingTimeInMillis()).toBeGreaterThan(4_000);
    expect(contexts[0]?.getRemainingTimeInMillis()).toBeLessThanOrEqual(5_000);
  });

  it('deletes the successes of a partial batch failure; only the failures come back', async () => {
    const { name, clock, queue, errors, onError } = setup();
    for (const body of ['ok-1', 'bad-1', 'ok-2', 'bad-2', 'ok-3']) await queue.send(name, body);
    const handled: string[] = [];

    const outcome = await pollQueueOnce({
      queue,
      queueName: name,
      handler: powertoolsHandler(handled),
      onError,
    });

    expect(outcome).toMatchObject({ received: 5 });
    expect(outcome.deleted).toHaveLength(3);
    expect(outcome.retried).toHaveLength(2);
    expect(handled.sort()).toEqual(['ok-1', 'ok-2', 'ok-3']);
    expect(errors).toEqual([]);
    clock.advance(30_000);
    const back = await queue.receive(name, { maxMessages: 10 });
    expect(back.map((m) => m.body).sort()).toEqual(['bad-1', 'bad-2']);
    expect(back.map((m) => m.attributes.ApproximateReceiveCount)).toEqual(['2', '2']);
  });

  it('deletes nothing when the handler throws, and reports the error', async () => {
    const { name, clock, queue, errors, onError } = setup();
    await queue.send(name, 'a');
    await queue.send(name, 'b');

    const outcome = await pollQueueOnce({
      queue,
      queueName: name,
      handler: async () => {
        throw new Error('connector down');
      },
      onError,
    });

    expect(outcome).toMatchObject({ received: 2, deleted: [] });
    expect(errors).toHaveLength(1);
    expect(errors[0]?.error).toBeInstanceOf(QueueHandlerError);
    expect(errors[0]?.error.message).toContain('connector down');
    expect(errors[0]?.details.messageIds).toHaveLength(2);
    expect(await queue.receive(name, { maxMessages: 10 })).toEqual([]);
    clock.advance(30_000);
    expect((await queue.receive(name, { maxMessages: 10 })).map((m) => m.body).sort()).toEqual(['a', 'b']);
  });

  it('treats a batchItemFailures entry naming a message not in the batch as a whole-batch failure', async () => {
    const { name, clock, queue, errors, onError } = setup();
    await queue.send(name, 'a');

    await pollQueueOnce({
      queue,
      queueName: name,
      handler: async () => ({ batchItemFailures: [{ itemIdentifier: 'not-in-batch' }] }),
      onError,
    });

    expect(errors[0]?.error).toBeInstanceOf(InvalidBatchResponseError);
    clock.advance(30_000);
    expect(await queue.receive(name)).toHaveLength(1);
  });
});

describe('a handler that outlives its timeout (Lambda: "Task timed out")', () => {
  it('is abandoned at the timeout: nothing is deleted, its late answer is ignored, and the messages reappear after the visibility timeout', async () => {
    const { name, clock, queue, errors, onError } = setup();
    await queue.send(name, 'slow-1');
    await queue.send(name, 'slow-2');
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const remaining: number[] = [];
    let context: Context | undefined;

    const outcome = await pollQueueOnce({
      queue,
      queueName: name,
      timeoutMs: 150,
      onError,
      handler: async (_event, ctx) => {
        context = ctx;
        remaining.push(ctx.getRemainingTimeInMillis());
        await gate;
        return { batchItemFailures: [] };
      },
    });

    // The poll came back while the handler still waits at its gate.
    expect(outcome).toMatchObject({ received: 2, deleted: [] });
    expect(outcome.retried).toHaveLength(2);
    expect(outcome.abandoned).toBeInstanceOf(Promise);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.error).toBeInstanceOf(HandlerTimedOutError);
    expect(errors[0]?.details.messageIds).toHaveLength(2);
    expect(remaining[0]).toBeLessThanOrEqual(150);
    expect(context?.getRemainingTimeInMillis()).toBe(0);

    release();
    await outcome.abandoned;
    // Its "success" came after the timeout: the messages stay, invisible until their timeout ends.
    expect(await queue.receive(name, { maxMessages: 10 })).toEqual([]);
    clock.advance(30_000);
    expect((await queue.receive(name, { maxMessages: 10 })).map((m) => m.body).sort()).toEqual([
      'slow-1',
      'slow-2',
    ]);
  });

  it('the worker waits for an abandoned invocation before it polls again, for one more timeout at most', async () => {
    const { name, queue, errors, onError } = setup();
    await queue.send(name, 'first');
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const calls: { body: string; at: number }[] = [];
    const started = Date.now();
    const worker = startQueueWorker({
      queue,
      queueName: name,
      timeoutMs: 1000,
      pollIntervalMs: 5,
      onError,
      handler: async (event) => {
        calls.push({ body: event.Records[0]?.body ?? '', at: Date.now() - started });
        if (calls.length === 1) await gate;
        return { batchItemFailures: [] };
      },
    });
    await vi.waitFor(() => expect(errors.map((e) => e.error.name)).toEqual(['HandlerTimedOutError']), {
      timeout: 5000,
    });
    await queue.send(name, 'second');
    // One slot per worker, as one Lambda sandbox per invocation; a handler that never stops
    // holds it for one more timeout, then the worker goes on without it.
    await vi.waitFor(() => expect(calls.map((c) => c.body)).toEqual(['first', 'second']), { timeout: 5000 });
    expect(calls[1]?.at).toBeGreaterThanOrEqual(2000);
    release();
    await worker.stop();
  });

  it('refuses a timeout that is not shorter than the visibility timeout', () => {
    const { name, queue } = setup();
    const handler = async () => ({ batchItemFailures: [] });
    expect(() => startQueueWorker({ queue, queueName: name, handler, timeoutMs: 30_000 })).toThrow(
      /must be positive and shorter than its visibility timeout \(30000 ms\)/,
    );
    expect(() =>
      startQueueWorker({ queue, queueName: name, handler, visibilityTimeoutSeconds: 2, timeoutMs: 2_000 }),
    ).toThrow(RangeError);
  });
});

describe('startQueueWorker', () => {
  it('polls until stopped, survives a throwing handler, and stop() waits for the batch in flight', async () => {
    const { name, clock, queue, errors, onError } = setup();
    await queue.send(name, 'boom');
    const calls: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const worker = startQueueWorker({
      queue,
      queueName: name,
      batchSize: 10,
      pollIntervalMs: 5,
      onError,
      handler: async (event) => {
        const body = event.Records[0]?.body ?? '';
        calls.push(body);
        if (body === 'boom') throw new Error('first handler call fails');
        await gate;
        return { batchItemFailures: [] };
      },
    });

    await vi.waitFor(() => expect(errors).toHaveLength(1));
    clock.advance(30_000);
    await vi.waitFor(() => expect(calls).toEqual(['boom', 'boom']));
    expect(errors).toHaveLength(2);
    await queue.send(name, 'slow');
    await vi.waitFor(() => expect(calls).toContain('slow'));
    let stopped = false;
    const stopping = worker.stop().then(() => {
      stopped = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stopped).toBe(false);
    release();
    await stopping;

    expect(errors.every((e) => e.error instanceof QueueHandlerError)).toBe(true);
    expect((await queue.list(name)).map((m) => m.body)).toEqual(['boom']);
  });

  it('wakes at once for a message sent in the same process, rather than on its next poll', async () => {
    const { name, queue, errors, onError } = setup();
    const handled: string[] = [];
    let polls = 0;
    const counted = {
      ...queue,
      receive: (...args: Parameters<typeof queue.receive>) => {
        polls += 1;
        return queue.receive(...args);
      },
    };
    const worker = startQueueWorker({
      queue: counted,
      queueName: name,
      batchSize: 10,
      // Far beyond the test's timeout: only a wake-up delivers these messages.
      pollIntervalMs: 3_600_000,
      onError,
      handler: powertoolsHandler(handled),
    });
    try {
      await vi.waitFor(() => expect(polls).toBe(1));
      await queue.send(name, 'first');
      await vi.waitFor(() => expect(handled).toEqual(['first']));
      // Sent while the worker is busy with a receive: it must not go back to sleep on it.
      await Promise.all([queue.send(name, 'second'), queue.send(name, 'third')]);
      await vi.waitFor(() => expect(handled.sort()).toEqual(['first', 'second', 'third']));
      await vi.waitFor(async () => expect(await queue.list(name)).toEqual([]));
    } finally {
      await worker.stop();
    }
    expect(errors).toEqual([]);
  });

  it('with concurrency N, one receiver feeds N invocations: oldest first, never a message twice, never two receives at once', async () => {
    const { name, queue, errors, onError } = setup();
    const sent: string[] = [];
    for (let i = 0; i < 24; i++) sent.push(await queue.send(name, `m${String(i).padStart(2, '0')}`));
    let receiving = 0;
    let receivesAtOnce = 0;
    const counted = {
      ...queue,
      receive: async (...args: Parameters<typeof queue.receive>) => {
        receiving += 1;
        receivesAtOnce = Math.max(receivesAtOnce, receiving);
        try {
          return await queue.receive(...args);
        } finally {
          receiving -= 1;
        }
      },
    };
    const batches: string[][] = [];
    let running = 0;
    let mostAtOnce = 0;
    const worker = startQueueWorker({
      queue: counted,
      queueName: name,
      batchSize: 2,
      concurrency: 3,
      pollIntervalMs: 5,
      onError,
      handler: async (event) => {
        batches.push(event.Records.map((record) => record.messageId));
        running += 1;
        mostAtOnce = Math.max(mostAtOnce, running);
        await new Promise((resolve) => setTimeout(resolve, 20));
        running -= 1;
        return { batchItemFailures: [] };
      },
    });
    try {
      await vi.waitFor(async () => expect(await queue.list(name)).toEqual([]), { timeout: 10_000 });
    } finally {
      await worker.stop();
    }
    expect(errors).toEqual([]);
    // Batches are received in turn, each taking the oldest messages left.
    expect(batches.flat()).toEqual(sent);
    expect(batches.every((batch) => batch.length === 2)).toBe(true);
    expect(mostAtOnce).toBe(3);
    expect(receivesAtOnce).toBe(1);
  });
});
