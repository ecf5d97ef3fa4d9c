import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDBCircuitBreaker } from '../../../functions/adapters/aws/dynamodb-circuit-breaker.ts';
import { createDynamoDBRateLimiter } from '../../../functions/adapters/aws/dynamodb-rate-limiter.ts';
import { createDynamoDBStateStore } from '../../../functions/adapters/aws/dynamodb-state-store.ts';
import { stateUpsertConnector } from '../../../functions/connectors/state-upsert.ts';
import { createHmacGrantSigner } from '../../../functions/core/capability.ts';
import { catalogueOf } from '../../../functions/core/connector.ts';
import { ANSWERED, type StateStore } from '../../../functions/core/ports.ts';
import { createGatewayHandler } from '../../../functions/gateway/gateway-handler.ts';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../../lib/local/embedded-dynamodb.ts';
import { createLocalContext } from '../../../lib/local/http/lambda-context.ts';
import { TABLE_NAMES } from '../../../lib/local/table-definitions.ts';
import { recordActions } from '../../support/gateway-actions.ts';

let db: EmbeddedDynamoDB;
let store: StateStore;
const signer = createHmacGrantSigner(async () => 'test-grant-key'.repeat(4));
let counting = false;
const sent: string[] = [];

/** `RUN#abc` → `RUN`: the kind of item, not the item. */
const kind = (value: unknown) => String(value ?? '').replace(/[#:].*$/, '');

beforeAll(async () => {
  db = await startEmbeddedDynamoDB({ tables: [TABLE_NAMES.state, TABLE_NAMES.idempotency] });
  store = createDynamoDBStateStore({ client: db.client, tableName: TABLE_NAMES.state });
  db.client.middlewareStack.add(
    (next, context) => (args) => {
      if (counting) {
        const input = args.input as {
          Key?: Record<string, unknown>;
          Item?: Record<string, unknown>;
          TableName?: string;
        };
        const item = input.Key ?? input.Item;
        const where = item?.pk
          ? ` ${kind(item.pk)}/${kind(item.sk)}`
          : input.TableName === TABLE_NAMES.idempotency
            ? ' idempotency'
            : '';
        sent.push(`${String(context.commandName).replace(/Command$/, '')}${where}`);
      }
      return next(args);
    },
    { step: 'initialize', name: 'countGatewayRequests' },
  );
});
afterAll(() => db.close());

describe('store requests of one action (the gateway handler with its DynamoDB limiter and breaker)', () => {
  it('reads the breaker with the intent and its run: eight requests, one read before the claim', async () => {
    const [first, action] = await recordActions(store, signer, {
      runId: 'run-requests',
      count: 2,
      action: (i) => ({
        type: 'state.upsert',
        params: { entityType: 'customer', entityId: `c${i}`, data: {} },
      }),
    });
    const answered: unknown[] = [];
    const handler = createGatewayHandler({
      store,
      connectors: catalogueOf([stateUpsertConnector(store)]),
      clock: { now: () => new Date() },
      signer,
      limiter: createDynamoDBRateLimiter({ client: db.client, tableName: TABLE_NAMES.state }),
      breaker: createDynamoDBCircuitBreaker({ client: db.client, tableName: TABLE_NAMES.state }),
      limitsOf: () => ({
        rateLimit: { ratePerSecond: 100, burst: 100 },
        breaker: { failureThreshold: 5, windowSeconds: 60, openSeconds: 30 },
      }),
      persistenceStore: new DynamoDBPersistenceLayer({
        tableName: TABLE_NAMES.idempotency,
        awsSdkV3Client: db.client,
      }),
      callbacks: {
        async taskSucceeded(_token, output) {
          answered.push(output);
          return ANSWERED;
        },
        async taskFailed(token, error, cause) {
          throw new Error(`${token}: ${error} ${cause}`);
        },
      },
    });
    // The first action's limiter reads its bucket once; from then on it knows what it wrote.
    await handler(
      { Records: [sqsRecord('m-0', first?.body ?? '')] },
      createLocalContext('aios-gateway', 30_000),
    );
    counting = true;
    const response = await handler(
      { Records: [sqsRecord('m-1', action?.body ?? '')] },
      createLocalContext('aios-gateway', 30_000),
    );
    counting = false;
    expect(response.batchItemFailures).toEqual([]);
    expect(answered).toMatchObject([{ ok: true }, { ok: true }]);
    expect(sent).toEqual([
      'PutItem idempotency', // Powertools: in progress
      'BatchGetItem', // the intent, its run and the connector's breaker
      'PutItem LIMIT/BUCKET', // the rate limiter's token (from what it last wrote: no read)
      'UpdateItem RUN/INTENT', // the claim
      'GetItem ENTITY/LATEST', // the connector's effect: read, then the new version with LATEST
      'TransactWriteItems',
      'TransactWriteItems', // the result with its audit entry and journal line
      'UpdateItem idempotency', // Powertools: completed
    ]);

    // The same message again (SQS delivers at least once): the stored result, from this process's
    // cache of completed idempotency records, with no request at all.
    sent.length = 0;
    counting = true;
    const duplicate = await handler(
      { Records: [sqsRecord('m-1', action?.body ?? '')] },
      createLocalContext('aios-gateway', 30_000),
    );
    counting = false;
    expect(duplicate.batchItemFailures).toEqual([]);
    expect(answered).toHaveLength(3);
    expect(answered[2]).toEqual(answered[1]);
    expect(sent).toEqual([]);
  });
});

function sqsRecord(messageId: string, body: string) {
  return {
    messageId,
    receiptHandle: `r-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(Date.now()),
      SenderId: 'local',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:local:000000000000:aios-actions',
    awsRegion: 'local',
  };
}
