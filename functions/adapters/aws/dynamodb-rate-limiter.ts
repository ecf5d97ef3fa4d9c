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

  // Callers of one limiter (the workers of one process, the records of one batch) wait per key
  // while a round is in flight, and the next round takes all their tokens in one conditional put:
  // in turn, as if each had put its own, and one request for the lot. Racing each other on the put
  // instead, most of them lost every round and were refused tokens the bucket still had (4 local
  // workers, 20 actions at once). Other processes still race, and the put's condition still decides
  // between them.
  const waiting = new Map<string, Ask[]>();
  const busy = new Set<string>();

  // What this limiter last wrote per key, with its version. The item still holds exactly that
  // unless another gateway wrote since, and then the put's condition fails: so a grant needs no
  // read while this limiter is the only writer (one process locally, a warm Lambda on a quiet key).
  const written = new Map<string, { state: BucketState; version: number }>();
  // A key other gateways write too goes back to reading first for a while: a put from memory
  // would lose nearly every time and add a round to each grant.
  const sharedUntil = new Map<string, number>();
  const SHARED_FOR_MS = 1_000;

  return {
    tryAcquire: (key, limit, now) =>
      new Promise<Grant>((resolve, reject) => {
        const asks = waiting.get(key) ?? [];
        asks.push({ limit, nowMs: now.getTime(), resolve, reject });
        waiting.set(key, asks);
        if (!busy.has(key)) void rounds(key);
      }),
  };

  /** Rounds on `key` until nobody waits: each answers everyone who asked while the last one ran. */
  async function rounds(key: string) {
    busy.add(key);
    for (let asks = waiting.get(key); asks; asks = waiting.get(key)) {
      waiting.delete(key);
      try {
        const grants = await acquire(key, asks);
        for (const [i, ask] of asks.entries()) ask.resolve(grants[i] as Grant);
      } catch (error) {
        for (const ask of asks) ask.reject(error);
      }
    }
    busy.delete(key);
  }

  async function acquire(key: string, asks: readonly Ask[]): Promise<Grant[]> {
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
      // The tokens one after another, each ask at its own time, as separate puts would take them.
      const grants: Grant[] = [];
      let taken: { state: BucketState; limit: RateLimit } | undefined;
      for (const ask of asks) {
        const decision = takeToken(taken?.state ?? state, ask.limit, ask.nowMs);
        grants.push({ granted: decision.granted, retryAfterMs: decision.retryAfterMs });
        if (decision.granted) taken = { state: decision.next, limit: ask.limit };
      }
      // A refusal is never decided on memory alone: read the bucket once more.
      if (known && grants.some((grant) => !grant.granted)) {
        attempt -= 1;
        continue;
      }
      // A refusal writes nothing: the refill is a function of time, recomputed by the next caller.
      if (!taken) return grants;
      const expiresAt =
        Math.ceil((taken.state.refilledAt + msUntilFull(taken.state, taken.limit)) / 1000) +
        TTL_MARGIN_SECONDS;
      try {
        await doc.send(
          new PutCommand({
            TableName,
            Item: {
              ...bucketKey(key),
              ...taken.state,
              version: (version ?? 0) + 1,
              ratePerSecond: taken.limit.ratePerSecond,
              burst: taken.limit.burst,
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
        written.set(key, { state: taken.state, version: (version ?? 0) + 1 });
        return grants;
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
        if (known) sharedUntil.set(key, Date.now() + SHARED_FOR_MS);
        // Another gateway spent or refilled first: decide again on what it wrote, after a short
        // random pause so the losers of one race do not all collide again on the next.
        if (attempt < maxAttempts) await sleep(Math.random() * 2 * attempt);
      }
    }
    return asks.map(() => ({ granted: false, retryAfterMs: contendedRetryAfterMs }));
  }
}

type Grant = { granted: boolean; retryAfterMs: number };

/** One tryAcquire waiting for its key's round. */
interface Ask {
  limit: RateLimit;
  nowMs: number;
  resolve: (grant: Grant) => void;
  reject: (error: unknown) => void;
}

function isConditionalCheckFailed(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'ConditionalCheckFailedException';
}
