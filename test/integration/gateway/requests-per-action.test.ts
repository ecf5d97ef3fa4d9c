import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDBStateStore } from '../../../functions/adapters/aws/dynamodb-state-store.ts';
import { createHmacGrantSigner } from '../../../functions/core/capability.ts';
import { ANSWERED, type StateStore } from '../../../functions/core/ports.ts';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../../lib/local/embedded-dynamodb.ts';
import { createLocalContext } from '../../../lib/local/http/lambda-context.ts';
import { TABLE_NAMES } from '../../../lib/local/table-definitions.ts';
import { gatewayOnEmbeddedStore } from '../../support/embedded-gateway.ts';
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
    const handler = gatewayOnEmbeddedStore({
      client: db.client,
      store,
      signer,
      rateLimit: { ratePerSecond: 100, burst: 100 },
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
    /** The requests of one delivery of `body`, as the store received them. */
    const deliver = async (messageId: string, body: string) => {
      sent.length = 0;
      counting = true;
      try {
        return await handler(
          { Records: [sqsRecord(messageId, body)] },
          createLocalContext('aios-gateway', 30_000),
        );
      } finally {
        counting = false;
      }
    };
    // The first action's limiter reads its bucket once; from then on it knows what it wrote.
    await deliver('m-0', first?.body ?? '');
    const response = await deliver('m-1', action?.body ?? '');
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
    const duplicate = await deliver('m-1', action?.body ?? '');
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
