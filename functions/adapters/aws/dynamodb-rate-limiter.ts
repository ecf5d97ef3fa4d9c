import { setTimeout as sleep } from 'node:timers/promises';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  type BucketState,
  BucketStateSchema,
  msUntilFull,
  takeToken,
} from '../../core/limits/token-bucket.ts';
import type { RateLimit, RateLimiter } from '../../core/ports.ts';

export interface DynamoDBRateLimiterOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Read-decide-write rounds before a caller that keeps losing races is told to come back. Default 5. */
  maxAttempts?: number;
  /** The retryAfterMs given to a caller that lost `maxAttempts` races in a row. Default 10. */
  contendedRetryAfterMs?: number;
}

/*
 * One item per key in the state table:
 *   pk LIMIT#<key>  sk BUCKET  tokens (fractional)  refilledAt (epoch ms)  version  ratePerSecond  burst
 *   expiresAt (epoch s, TTL): a bucket left alone until then is full again, and an absent bucket is
 *   full, so TTL deleting it changes nothing.
 * Every grant is a put conditional on the version read just before (or on the item being absent), so
 * concurrent gateways never spend the same token twice. A refusal writes nothing: the refill is a
 * function of time and is recomputed by the next caller.
 */
const bucketKey = (key: string) => ({ pk: `LIMIT#${key}`, sk: 'BUCKET' });
const TTL_MARGIN_SECONDS = 3600;

export function createDynamoDBRateLimiter(options: DynamoDBRateLimiterOptions): RateLimiter {
  const doc = DynamoDBDocumentClient.from(options.client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const TableName = options.tableName;
  const maxAttempts = options.maxAttempts ?? 5;
  const contendedRetryAfterMs = options.contendedRetryAfterMs ?? 10;

  // Callers of one limiter (the workers of one process share it) take their turn per key: racing
  // each other on the conditional put, most of them lost every round and were refused a token the
  // bucket still had (4 local workers, 20 actions at once). Other processes still race, and the
  // put's condition still decides between them.
  const turns = new Map<string, Promise<unknown>>();
  function inTurn<T>(key: string, act: () => Promise<T>): Promise<T> {
    const mine = (turns.get(key) ?? Promise.resolve()).then(act);
    const settled = mine.then(noop, noop);
    turns.set(key, settled);
    void settled.then(() => {
      if (turns.get(key) === settled) turns.delete(key);
    });
    return mine;
  }

  // What this limiter last wrote per key, with its version. The item still holds exactly that
  // unless another gateway wrote since, and then the put's condition fails: so a grant needs no
  // read while this limiter is the only writer (one process locally, a warm Lambda on a quiet key).
  const written = new Map<string, { state: BucketState; version: number }>();
  // A key other gateways write too goes back to reading first for a while: a put from memory
  // would lose nearly every time and add a round to each grant.
  const sharedUntil = new Map<string, number>();
  const SHARED_FOR_MS = 1_000;

  return {
    tryAcquire: (key, limit, now) => inTurn(key, () => acquire(key, limit, now)),
  };

  async function acquire(key: string, limit: RateLimit, now: Date) {
    const nowMs = now.getTime();
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const known = attempt === 1 && (sharedUntil.get(key) ?? 0) <= Date.now() ? written.get(key) : undefined;
      written.delete(key);
      let state: BucketState | undefined;
      let version: number | undefined;
      if (known) {
        ({ state, version } = known);
      } else {
        const { Item } = await doc.send(
          new GetCommand({ TableName, Key: bucketKey(key), ConsistentRead: true }),
        );
        version = typeof Item?.version === 'number' ? Item.version : undefined;
        state = Item ? BucketStateSchema.parse(Item) : undefined;
      }
      const decision = takeToken(state, limit, nowMs);
      if (!decision.granted) {
        // A refusal is never decided on memory alone: read the bucket once more.
        if (known) {
          attempt -= 1;
          continue;
        }
        return { granted: false, retryAfterMs: decision.retryAfterMs };
      }
      const expiresAt =
        Math.ceil((decision.next.refilledAt + msUntilFull(decision.next, limit)) / 1000) + TTL_MARGIN_SECONDS;
      try {
        await doc.send(
          new PutCommand({
            TableName,
            Item: {
              ...bucketKey(key),
              ...decision.next,
              version: (version ?? 0) + 1,
              ratePerSecond: limit.ratePerSecond,
              burst: limit.burst,
              expiresAt,
            },
            ...(version === undefined
              ? { ConditionExpression: 'attribute_not_exists(pk)' }
              : {
                  ConditionExpression: 'version = :version',
                  ExpressionAttributeValues: { ':version': version },
                }),
          }),
        );
        written.set(key, { state: decision.next, version: (version ?? 0) + 1 });
        return { granted: true, retryAfterMs: 0 };
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
        if (known) sharedUntil.set(key, Date.now() + SHARED_FOR_MS);
        // Another gateway spent or refilled first: decide again on what it wrote, after a short
        // random pause so the losers of one race do not all collide again on the next.
        if (attempt < maxAttempts) await sleep(Math.random() * 2 * attempt);
      }
    }
    return { granted: false, retryAfterMs: contendedRetryAfterMs };
  }
}

const noop = () => {};

function isConditionalCheckFailed(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'ConditionalCheckFailedException';
}
