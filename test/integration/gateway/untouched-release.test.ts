import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDBStateStore } from '../../../functions/adapters/aws/dynamodb-state-store.ts';
import { stateUpsertConnector } from '../../../functions/connectors/state-upsert.ts';
import { createHmacGrantSigner } from '../../../functions/core/capability.ts';
import { ANSWERED, type StateStore } from '../../../functions/core/ports.ts';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../../lib/local/embedded-dynamodb.ts';
import {
  createLocalQueue,
  type QueueWorker,
  releaseRecordsTo,
  startQueueWorker,
} from '../../../lib/local/queue/index.ts';
import { TABLE_NAMES } from '../../../lib/local/table-definitions.ts';
import { runFixture } from '../../support/fixtures.ts';
import { embeddedGatewayHandler, recordActions } from '../../support/gateway-actions.ts';

/*
 * A batch that reaches an action's last moment to start before starting it (a busy machine, four
 * batches at once) gives the record up untouched. It must come back at once, not after the 30 s
 * visibility timeout: here the queue's clock stands still, so a record that is not handed back
 * never comes back at all, and the test tells the two apart without waiting for either.
 */

const RUN = 'release-run';
const ACTIONS = 3;
let db: EmbeddedDynamoDB;
let store: StateStore;
let worker: QueueWorker | undefined;
const signer = createHmacGrantSigner(async () => 'release-test-key'.repeat(4));

beforeAll(async () => {
  db = await startEmbeddedDynamoDB();
  store = createDynamoDBStateStore({ client: db.client, tableName: TABLE_NAMES.state });
});
afterAll(async () => {
  await worker?.stop();
  await db.close();
});

describe('records given up untouched at their deadline', () => {
  it('are received again at once, and each action then takes effect exactly once', async () => {
    await store.createRun(runFixture({ runId: RUN }));
    const actions = await recordActions(store, signer, {
      runId: RUN,
      count: ACTIONS,
      action: (i) => ({
        type: 'state.upsert',
        params: { entityType: 'customer', entityId: `r${i}`, data: { i } },
      }),
    });
    const frozenAt = Date.now();
    const queue = createLocalQueue({
      client: db.client,
      clock: { now: () => frozenAt },
      queues: [{ name: 'actions', visibilityTimeoutSeconds: 30, maxReceiveCount: 5, deadLetterQueue: 'dlq' }],
    });
    // The first delivery of each action stalls after reading its intent for longer than its
    // invocation has: a minute passes on the gateway's clock before it could start the effect.
    let skewMs = 0;
    const stalled = new Set<number>();
    const slowStore: StateStore = {
      ...store,
      async getIntentWithRun(runId, stepIndex) {
        const read = await store.getIntentWithRun(runId, stepIndex);
        if (!stalled.has(stepIndex)) {
          stalled.add(stepIndex);
          skewMs += 60_000;
        }
        return read;
      },
    };
    const answered = new Map<string, number>();
    let allAnswered: () => void = () => {};
    const done = new Promise<'answered'>((resolve) => {
      allAnswered = () => resolve('answered');
    });
    const handler = embeddedGatewayHandler(db, slowStore, {
      connectors: [stateUpsertConnector(store)],
      signer,
      clock: { now: () => new Date(Date.now() + skewMs) },
      releaseUntouched: releaseRecordsTo(queue),
      callbacks: {
        async taskSucceeded(token) {
          answered.set(token, (answered.get(token) ?? 0) + 1);
          if (answered.size === ACTIONS) allAnswered();
          return ANSWERED;
        },
        async taskFailed(token, error, cause) {
          throw new Error(`${token} failed: ${error} ${cause}`);
        },
      },
    });
    for (const action of actions) await queue.send('actions', action.body);
    worker = startQueueWorker({
      queue,
      queueName: 'actions',
      batchSize: 5,
      handler,
      pollIntervalMs: 20,
      onError: () => {},
    });
    const outcome = await Promise.race([
      done,
      new Promise<'never came back'>((resolve) => setTimeout(() => resolve('never came back'), 15_000)),
    ]);
    await worker.stop();
    worker = undefined;
    expect(outcome).toBe('answered');
    // Every first delivery did stall: the test tested the release, not a quiet machine.
    expect(stalled.size).toBe(ACTIONS);
    expect([...answered.values()]).toEqual(actions.map(() => 1));
    for (let i = 0; i < ACTIONS; i += 1) {
      const intent = await store.getIntent(RUN, i);
      expect(intent?.status).toBe('SUCCEEDED');
      // Given up once, done on the second receive.
      expect(intent?.attempts).toBe(1);
    }
    expect(await queue.list('actions')).toEqual([]);
  });
});
