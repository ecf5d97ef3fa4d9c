import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDBRateLimiter } from '../../../functions/adapters/aws/dynamodb-rate-limiter.ts';
import type { RateLimiter } from '../../../functions/core/ports.ts';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../../lib/local/embedded-dynamodb.ts';
import { TABLE_NAMES } from '../../../lib/local/table-definitions.ts';

let db: EmbeddedDynamoDB;
const clients: DynamoDBClient[] = [];

/** A client of its own per simulated gateway Lambda, as on AWS. */
function gatewayClient(): DynamoDBClient {
  const client = new DynamoDBClient({
    endpoint: db.endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  clients.push(client);
  return client;
}

/** A gateway's client that records the name of each request it sends. */
function countedClient(): { client: DynamoDBClient; sent: string[] } {
  const client = gatewayClient();
  const sent: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push(String(context.commandName).replace(/Command$/, ''));
      return next(args);
    },
    { step: 'initialize', name: 'countRequests' },
  );
  return { client, sent };
}

/** A client that lets `rival` act just before each of its conditional puts, so every put races. */
function contestedClient(rival: () => Promise<void>, times: number): DynamoDBClient {
  const client = gatewayClient();
  let left = times;
  client.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as { Item?: unknown; ConditionExpression?: unknown };
      if (input.Item && input.ConditionExpression && left > 0) {
        left--;
        await rival();
      }
      return next(args);
    },
    { step: 'initialize', name: 'rivalWritesFirst' },
  );
  return client;
}

beforeAll(async () => {
  db = await startEmbeddedDynamoDB({ tables: [TABLE_NAMES.state] });
});
afterAll(async () => {
  for (const client of clients) client.destroy();
  await db.close();
});

describe('DynamoDB rate limiter (against the embedded store)', () => {
  it('holds the limit across 4 concurrent gateways sharing one bucket', async () => {
    const limit = { ratePerSecond: 20, burst: 5 };
    const limiters: RateLimiter[] = Array.from({ length: 4 }, () =>
      createDynamoDBRateLimiter({ client: gatewayClient(), tableName: TABLE_NAMES.state }),
    );
    const durationMs = 2000;
    const start = Date.now();
    const grants: number[][] = limiters.map(() => []);
    let attempts = 0;
    await Promise.all(
      limiters.map(async (limiter, worker) => {
        while (Date.now() - start < durationMs) {
          attempts += 1;
          const now = new Date();
          const result = await limiter.tryAcquire('http.request', limit, now);
          if (result.granted) grants[worker]?.push(now.getTime());
          else await sleep(result.retryAfterMs);
        }
      }),
    );

    const all = grants.flat().sort((a, b) => a - b);
    const first = all[0] ?? start;
    const last = all[all.length - 1] ?? start;
    // Grants are stamped with the `now` each caller passed, taken before its read. When two callers
    // race, the loser's retry spends a token at the refill time the winner wrote, which may be later
    // than its own stamp by up to one read-and-write round trip (a few ms on loopback, well under
    // 50 ms). At 20 tokens/s that shifts at most one token into an earlier window: tolerance 1.
    const tolerance = 1;
    for (const [i, from] of all.entries()) {
      const inWindow = all.slice(i).filter((t) => t < from + 1000).length;
      expect(inWindow, `grants in the second from ${from - start} ms`).toBeLessThanOrEqual(
        limit.ratePerSecond + limit.burst + tolerance,
      );
    }
    expect(all.length).toBeLessThanOrEqual(
      limit.burst + (limit.ratePerSecond * (last - first)) / 1000 + tolerance,
    );
    // The limiter was saturated, not merely refusing: more than half the budget of the time the
    // gateways ran was spent, or, where a loaded machine let them ask for less than that, every ask
    // was granted. (A floor in grants per wall second alone measures the machine, not the limiter.
    // Which gateway gets the tokens is not promised: a bucket is not fair, so no per-gateway share.)
    const ranSeconds = (Date.now() - start) / 1000;
    const halfTheBudget = limit.burst + (limit.ratePerSecond * ranSeconds) / 2;
    expect(all.length).toBeGreaterThanOrEqual(Math.floor(Math.min(attempts, halfTheBudget)));
  });

  it('a caller that loses a race re-reads and spends the token the winner left, never the same one', async () => {
    const limit = { ratePerSecond: 1, burst: 2 };
    const now = new Date('2026-11-25T10:00:00.000Z');
    const rival = createDynamoDBRateLimiter({ client: gatewayClient(), tableName: TABLE_NAMES.state });
    const rivalResults: boolean[] = [];
    const limiter = createDynamoDBRateLimiter({
      client: contestedClient(async () => {
        rivalResults.push((await rival.tryAcquire('race-once', limit, now)).granted);
      }, 1),
      tableName: TABLE_NAMES.state,
    });

    expect(await limiter.tryAcquire('race-once', limit, now)).toEqual({ granted: true, retryAfterMs: 0 });
    expect(rivalResults).toEqual([true]);
    // Two tokens, two grants: a third caller at the same instant waits a whole second for the next.
    expect(await rival.tryAcquire('race-once', limit, now)).toEqual({ granted: false, retryAfterMs: 1000 });
  });

  it('a caller that keeps losing is refused with a short retryAfterMs instead of an error', async () => {
    const limit = { ratePerSecond: 1, burst: 100 };
    const now = new Date('2026-11-25T10:00:00.000Z');
    const rival = createDynamoDBRateLimiter({ client: gatewayClient(), tableName: TABLE_NAMES.state });
    let rivalGrants = 0;
    const limiter = createDynamoDBRateLimiter({
      client: contestedClient(async () => {
        if ((await rival.tryAcquire('race-always', limit, now)).granted) rivalGrants++;
      }, Number.POSITIVE_INFINITY),
      tableName: TABLE_NAMES.state,
      maxAttempts: 3,
      contendedRetryAfterMs: 15,
    });

    expect(await limiter.tryAcquire('race-always', limit, now)).toEqual({ granted: false, retryAfterMs: 15 });
    expect(rivalGrants).toBe(3);
  });

  it('grants every concurrent caller of one limiter while the bucket has tokens, those who waited in one put', async () => {
    // The workers of one process share one limiter; racing each other on the conditional put, most
    // lost every round and were refused tokens the bucket still had. Those who ask while a put is
    // in flight take their tokens together in the next one.
    const { client, sent } = countedClient();
    const limiter = createDynamoDBRateLimiter({ client, tableName: TABLE_NAMES.state });
    const limit = { ratePerSecond: 1, burst: 30 };
    const now = new Date('2026-11-25T10:00:00.000Z');
    const results = await Promise.all(
      Array.from({ length: 20 }, () => limiter.tryAcquire('shared-by-workers', limit, now)),
    );
    expect(results.filter((r) => r.granted)).toHaveLength(20);
    // The first alone (it reads the bucket), the 19 who waited in one put.
    expect(sent.splice(0)).toEqual(['GetItem', 'PutItem', 'PutItem']);
    // The bucket holds exactly what was spent: 10 more, then a refusal, in the order they asked.
    const more = await Promise.all(
      Array.from({ length: 11 }, () => limiter.tryAcquire('shared-by-workers', limit, now)),
    );
    expect(more.map((r) => r.granted)).toEqual([...Array(10).fill(true), false]);
    // The last round's refusal is not decided on memory: it reads, then puts the nine it grants.
    expect(sent.splice(0)).toEqual(['PutItem', 'GetItem', 'PutItem']);
    const stored = await limiter.tryAcquire('shared-by-workers', limit, now);
    expect(stored).toEqual({ granted: false, retryAfterMs: 1000 });
  });

  it('a round whose put loses to another gateway decides again for all who waited, never spending a token twice', async () => {
    const limit = { ratePerSecond: 1, burst: 6 };
    const now = new Date('2026-11-25T10:00:00.000Z');
    const rival = createDynamoDBRateLimiter({ client: gatewayClient(), tableName: TABLE_NAMES.state });
    const limiter = createDynamoDBRateLimiter({
      // The rival takes two tokens just before this limiter's first put (its first round's).
      client: contestedClient(async () => {
        await Promise.all([
          rival.tryAcquire('race-round', limit, now),
          rival.tryAcquire('race-round', limit, now),
        ]);
      }, 1),
      tableName: TABLE_NAMES.state,
    });
    const results = await Promise.all(
      Array.from({ length: 6 }, () => limiter.tryAcquire('race-round', limit, now)),
    );
    // Six tokens: the rival's two and four of these six, in the order they asked.
    expect(results.map((r) => r.granted)).toEqual([true, true, true, true, false, false]);
    expect(await rival.tryAcquire('race-round', limit, now)).toEqual({ granted: false, retryAfterMs: 1000 });
  });

  it('the only writer of a bucket grants with one request; another writer in between costs it a read, never a token twice', async () => {
    const limit = { ratePerSecond: 1, burst: 4 };
    const now = new Date('2026-11-25T10:00:00.000Z');
    const { client, sent } = countedClient();
    const limiter = createDynamoDBRateLimiter({ client, tableName: TABLE_NAMES.state });
    const other = createDynamoDBRateLimiter({ client: gatewayClient(), tableName: TABLE_NAMES.state });
    expect((await limiter.tryAcquire('only-writer', limit, now)).granted).toBe(true);
    expect(sent.splice(0)).toEqual(['GetItem', 'PutItem']);
    expect((await limiter.tryAcquire('only-writer', limit, now)).granted).toBe(true);
    expect(sent.splice(0)).toEqual(['PutItem']);
    // Another gateway spends the third token: this limiter's remembered bucket is stale now.
    expect((await other.tryAcquire('only-writer', limit, now)).granted).toBe(true);
    expect((await limiter.tryAcquire('only-writer', limit, now)).granted).toBe(true);
    expect(sent.splice(0)).toEqual(['PutItem', 'GetItem', 'PutItem']);
    // Four tokens, four grants: the bucket is empty whoever asks.
    expect(await limiter.tryAcquire('only-writer', limit, now)).toEqual({
      granted: false,
      retryAfterMs: 1000,
    });
    expect(await other.tryAcquire('only-writer', limit, now)).toEqual({ granted: false, retryAfterMs: 1000 });
  });

  it('keeps one bucket per key, stored as LIMIT#<key> / BUCKET', async () => {
    const limiter = createDynamoDBRateLimiter({ client: db.client, tableName: TABLE_NAMES.state });
    const limit = { ratePerSecond: 10, burst: 1 };
    const now = new Date('2026-11-25T10:00:00.000Z');
    expect((await limiter.tryAcquire('slack', limit, now)).granted).toBe(true);
    expect(await limiter.tryAcquire('slack', limit, now)).toEqual({ granted: false, retryAfterMs: 100 });
    expect((await limiter.tryAcquire('email', limit, now)).granted).toBe(true);
    expect((await limiter.tryAcquire('slack', limit, new Date(now.getTime() + 100))).granted).toBe(true);
  });
});
