import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDBStateStore } from '../../../functions/adapters/aws/dynamodb-state-store.ts';
import { httpRequestConnector } from '../../../functions/connectors/http-request.ts';
import { createHmacGrantSigner, mintGrant } from '../../../functions/core/capability.ts';
import { catalogueOf } from '../../../functions/core/connector.ts';
import { idempotencyKeyFor } from '../../../functions/core/idempotency-key.ts';
import {
  createInMemoryCircuitBreaker,
  createInMemoryRateLimiter,
} from '../../../functions/core/limits/in-memory.ts';
import type { StateStore } from '../../../functions/core/ports.ts';
import { createGatewayHandler } from '../../../functions/gateway/gateway-handler.ts';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../../lib/local/embedded-dynamodb.ts';
import { createLocalQueue, type QueueWorker, startQueueWorker } from '../../../lib/local/queue/index.ts';
import { TABLE_NAMES } from '../../../lib/local/table-definitions.ts';
import { runFixture } from '../../support/fixtures.ts';
import { startWebhookServer, type WebhookServer } from '../../support/webhook-server.ts';

const ACTIONS = 500;
const DELIVERIES = 3;
const WORKERS = 4;
const RUN = 'bulk-run';

let db: EmbeddedDynamoDB;
let store: StateStore;
let hook: WebhookServer;

beforeAll(async () => {
  db = await startEmbeddedDynamoDB();
  store = createDynamoDBStateStore({ client: db.client, tableName: TABLE_NAMES.state });
  hook = await startWebhookServer();
});
afterAll(async () => {
  await hook.close();
  await db.close();
});

describe('gateway: exactly one effect per intent under duplicates and crashes', () => {
  it(`${ACTIONS} actions, each delivered ${DELIVERIES} times to ${WORKERS} concurrent workers, some re-delivered after a crash before the acknowledgement`, async () => {
    const signer = createHmacGrantSigner(async () => 'bulk-test-key'.repeat(5));
    const now = new Date();
    await store.createRun(runFixture({ runId: RUN }));
    const queue = createLocalQueue({
      client: db.client,
      queues: [
        { name: 'actions', visibilityTimeoutSeconds: 1, maxReceiveCount: 50, deadLetterQueue: 'actions-dlq' },
        { name: 'actions-dlq', visibilityTimeoutSeconds: 30 },
      ],
    });
    const answered = new Map<string, number>();
    const crashedOnce = new Set<string>();
    const handler = createGatewayHandler({
      store,
      connectors: catalogueOf([httpRequestConnector()]),
      clock: { now: () => new Date() },
      signer,
      limiter: createInMemoryRateLimiter(),
      breaker: createInMemoryCircuitBreaker(),
      limitsOf: () => undefined,
      persistenceStore: new DynamoDBPersistenceLayer({
        tableName: TABLE_NAMES.idempotency,
        awsSdkV3Client: db.client,
      }),
      callbacks: {
        async taskSucceeded(token) {
          // Every 7th action: the process "dies" after its effect is recorded, before the answer.
          if (Number(token.slice(2)) % 7 === 0 && !crashedOnce.has(token)) {
            crashedOnce.add(token);
            throw new Error('simulated crash before SendTaskSuccess');
          }
          answered.set(token, (answered.get(token) ?? 0) + 1);
        },
        async taskFailed(token, error, cause) {
          throw new Error(`unexpected failure for ${token}: ${error} ${cause}`);
        },
      },
    });

    const bodies: string[] = [];
    for (let i = 0; i < ACTIONS; i += 1) {
      const idempotencyKey = idempotencyKeyFor(RUN, i, `call-${i}`);
      const action = {
        type: 'http.request',
        params: { url: `${hook.url}/bulk`, method: 'POST', body: { i } },
      };
      await store.recordIntent({
        runId: RUN,
        stepIndex: i,
        stepId: `call-${i}`,
        title: `Call ${i}`,
        action,
        idempotencyKey,
        status: 'RECORDED',
        decision: 'allow',
        reason: 'allowed',
        attempts: 0,
        recordedAt: now.toISOString(),
      });
      const grant = await mintGrant(
        signer,
        { agent: 'executor', workflow: 'w', runId: RUN, stepIndex: i, actions: ['http.request'] },
        now,
      );
      bodies.push(
        JSON.stringify({ taskToken: `t-${i}`, grant, runId: RUN, stepIndex: i, idempotencyKey, action }),
      );
    }
    // Every message three times, interleaved so duplicates meet each other in flight.
    for (let round = 0; round < DELIVERIES; round += 1) {
      for (const body of round % 2 === 0 ? bodies : [...bodies].reverse()) await queue.send('actions', body);
    }

    const workers: QueueWorker[] = Array.from({ length: WORKERS }, (_, w) =>
      startQueueWorker({
        queue,
        queueName: 'actions',
        batchSize: 10,
        handler,
        pollIntervalMs: 10,
        functionName: `gateway-${w}`,
        timeoutMs: 1000,
        onError: () => {},
      }),
    );
    const deadline = Date.now() + 120_000;
    while ((await queue.approximateCount('actions')).total > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await Promise.all(workers.map((w) => w.stop()));

    expect((await queue.approximateCount('actions')).total).toBe(0);
    expect((await queue.approximateCount('actions-dlq')).total).toBe(0);
    // The provider saw exactly one effect per intent, whatever the number of deliveries.
    expect(hook.effects.size).toBe(ACTIONS);
    expect([...hook.effects.values()].every((count) => count === 1)).toBe(true);
    expect(hook.deliveries.filter((d) => d.path === '/bulk')).toHaveLength(ACTIONS);
    // Every action was answered, the crashed ones after their redelivery.
    expect(answered.size).toBe(ACTIONS);
    expect(crashedOnce.size).toBe(Math.floor((ACTIONS - 1) / 7) + 1);
    const intents = await store.listIntents(RUN);
    expect(intents.filter((i) => i.status === 'SUCCEEDED')).toHaveLength(ACTIONS);
    expect(intents.every((i) => i.attempts === 1)).toBe(true);
  }, 180_000);
});
