import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { createDynamoDBStateStore } from '../../../functions/adapters/aws/dynamodb-state-store.ts';
import { stateUpsertConnector } from '../../../functions/connectors/state-upsert.ts';
import { createHmacGrantSigner } from '../../../functions/core/capability.ts';
import type { Connector } from '../../../functions/core/connector.ts';
import { ANSWERED, type OrchestratorCallbacks, type StateStore } from '../../../functions/core/ports.ts';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../../lib/local/embedded-dynamodb.ts';
import { createLocalContext } from '../../../lib/local/http/lambda-context.ts';
import {
  createLocalQueue,
  type QueueErrorDetails,
  type QueueWorker,
  startQueueWorker,
  toSqsEvent,
} from '../../../lib/local/queue/index.ts';
import { TABLE_NAMES } from '../../../lib/local/table-definitions.ts';
import { runFixture } from '../../support/fixtures.ts';
import { embeddedGatewayHandler, recordActions } from '../../support/gateway-actions.ts';
import { queueCounts } from '../../support/queue-counts.ts';

const WORKERS = 4;
const ACTIONS = 40;
const POISON = 10;

let db: EmbeddedDynamoDB;
let store: StateStore;
const signer = createHmacGrantSigner(async () => 'concurrent-test-key'.repeat(4));

beforeAll(async () => {
  db = await startEmbeddedDynamoDB();
  store = createDynamoDBStateStore({ client: db.client, tableName: TABLE_NAMES.state });
});
afterAll(() => db.close());

const gatewayHandler = (connectors: Connector[], callbacks: OrchestratorCallbacks) =>
  embeddedGatewayHandler(db, store, { connectors, signer, callbacks });

describe('one gateway handler invoked by several workers at once (the local runtime)', () => {
  it(`${WORKERS} workers share it: every action answered exactly once, every failed record kept for redelivery, no batch answers for another`, async () => {
    const run = 'concurrent-run';
    await store.createRun(runFixture({ runId: run }));
    const actions = await recordActions(store, signer, {
      runId: run,
      count: ACTIONS,
      action: (i) => ({
        type: 'state.upsert',
        params: { entityType: 'customer', entityId: `c${i}`, data: { i } },
      }),
    });
    // The visibility timeout is long: nothing here may depend on a redelivery.
    const queue = createLocalQueue({
      client: db.client,
      queues: [{ name: 'shared', visibilityTimeoutSeconds: 120, maxReceiveCount: 5, deadLetterQueue: 'dlq' }],
    });
    // Poison messages interleaved with good ones, so failed records land in batches running at once.
    for (const [i, action] of actions.entries()) {
      await queue.send('shared', action.body);
      if (i % (ACTIONS / POISON) === 0) await queue.send('shared', `poison-${i} is not JSON`);
    }
    const answers = new Map<string, number>();
    const handler = gatewayHandler([stateUpsertConnector(store)], {
      async taskSucceeded(token) {
        answers.set(token, (answers.get(token) ?? 0) + 1);
        return ANSWERED;
      },
      async taskFailed(token, error, cause) {
        throw new Error(`unexpected failure for ${token}: ${error} ${cause}`);
      },
    });
    const errors: { error: Error; details: QueueErrorDetails }[] = [];
    const workers: QueueWorker[] = Array.from({ length: WORKERS }, (_, w) =>
      startQueueWorker({
        queue,
        queueName: 'shared',
        batchSize: 10,
        handler,
        pollIntervalMs: 5,
        functionName: `gateway-${w}`,
        onError: (error, details) => errors.push({ error, details }),
      }),
    );
    try {
      // Done when nothing is left to receive and the in-flight work has been answered or kept.
      const deadline = Date.now() + 50_000;
      while (Date.now() < deadline) {
        const counts = await queueCounts(queue, 'shared');
        if (counts.visible === 0 && counts.inFlight === POISON) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
    }

    expect(errors.map((e) => e.error.message)).toEqual([]);
    expect([...answers.keys()].sort()).toEqual(actions.map((a) => a.taskToken).sort());
    expect([...answers.values()].every((count) => count === 1)).toBe(true);
    // Each poison message was reported as its own batch's failure: still there, received once.
    const left = await queue.list('shared');
    expect(left.map((m) => m.body).every((body) => body.startsWith('poison-'))).toBe(true);
    expect(left).toHaveLength(POISON);
    expect(left.every((m) => m.receiveCount === 1)).toBe(true);
  }, 60_000);

  it("each invocation's in-progress record and intent lease end with that invocation, not with another's", async () => {
    const run = 'two-contexts';
    await store.createRun(runFixture({ runId: run }));
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const held: Connector = {
      type: 'test.held',
      paramsSchema: z.object({}),
      risk: 'write',
      undoable: false,
      idempotent: true,
      async execute() {
        await gate;
        return { held: true };
      },
    };
    const [slow, fast] = await recordActions(store, signer, {
      runId: run,
      count: 2,
      action: () => ({ type: 'test.held', params: {} }),
    });
    if (!slow || !fast) throw new Error('two actions were recorded');
    const answered: string[] = [];
    const handler = gatewayHandler([held], {
      async taskSucceeded(token) {
        answered.push(token);
        return ANSWERED;
      },
      async taskFailed(token, error) {
        throw new Error(`unexpected failure for ${token}: ${error}`);
      },
    });
    const eventOf = (body: string, id: string): SQSEvent =>
      toSqsEvent('q', [
        {
          messageId: id,
          receiptHandle: id,
          body,
          md5OfBody: '',
          attributes: {
            ApproximateReceiveCount: '1',
            SentTimestamp: '0',
            SenderId: '0',
            ApproximateFirstReceiveTimestamp: '0',
          },
        },
      ]);
    const started = Date.now();
    // A long invocation and, in the same tick, a short one: on Lambda they would never share a process.
    const long = handler(eventOf(slow.body, 'm-long'), createLocalContext('gateway-long', 60_000));
    const short = handler(eventOf(fast.body, 'm-short'), createLocalContext('gateway-short', 10_000));

    const waitFor = async (check: () => Promise<boolean>) => {
      while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 10));
    };
    await waitFor(async () => (await store.getIntent(run, 0))?.status === 'EXECUTING');
    await waitFor(async () => (await store.getIntent(run, 1))?.status === 'EXECUTING');
    const inProgress = (
      await db.client.send(new ScanCommand({ TableName: TABLE_NAMES.idempotency }))
    ).Items?.map((item) => unmarshall(item)).filter((item) => item.status === 'INPROGRESS');
    const expiries = (inProgress ?? [])
      .map((item) => Number(item.in_progress_expiration) - started)
      .sort((a, b) => a - b);
    const leases = [await store.getIntent(run, 0), await store.getIntent(run, 1)].map(
      (intent) => Date.parse(intent?.leaseExpiresAt ?? '') - started,
    );
    release();
    await Promise.all([long, short]);

    expect(expiries).toHaveLength(2);
    // The in-progress record keeps duplicates out until the invocation's start-by time (three
    // quarters of it); the lease lasts the whole invocation. Measured from before both contexts
    // were made, so a few milliseconds over is still "its own".
    expect(expiries[0]).toBeLessThan(9_000);
    expect(expiries[1]).toBeGreaterThan(40_000);
    expect(leases[0]).toBeGreaterThan(40_000);
    expect(leases[1]).toBeLessThan(12_000);
    expect(answered.sort()).toEqual([slow.taskToken, fast.taskToken].sort());
  });
});
