import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDBCircuitBreaker } from '../../../functions/adapters/aws/dynamodb-circuit-breaker.ts';
import { createDynamoDBStateStore } from '../../../functions/adapters/aws/dynamodb-state-store.ts';
import type { BreakerPolicy, CircuitBreaker } from '../../../functions/core/ports.ts';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../../lib/local/embedded-dynamodb.ts';
import { TABLE_NAMES } from '../../../lib/local/table-definitions.ts';

let db: EmbeddedDynamoDB;
const clients: DynamoDBClient[] = [];
/** One breaker per simulated gateway Lambda, each with its own client, all on the same table. */
let gateways: CircuitBreaker[];

const T0 = Date.parse('2026-11-25T10:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms);
const policy: BreakerPolicy = { failureThreshold: 3, windowSeconds: 60, openSeconds: 30 };

beforeAll(async () => {
  db = await startEmbeddedDynamoDB({ tables: [TABLE_NAMES.state] });
  gateways = Array.from({ length: 6 }, () => {
    const client = new DynamoDBClient({
      endpoint: db.endpoint,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    clients.push(client);
    return createDynamoDBCircuitBreaker({ client, tableName: TABLE_NAMES.state });
  });
});
afterAll(async () => {
  for (const client of clients) client.destroy();
  await db.close();
});

const gateway = (i: number) => gateways[i % gateways.length] as CircuitBreaker;

/** Every gateway asks at the same instant; returns how many were let through and the states they saw. */
async function allRace(key: string, now: Date) {
  const decisions = await Promise.all(gateways.map((breaker) => breaker.allow(key, policy, now)));
  return {
    allowed: decisions.filter((d) => d.allowed).length,
    states: new Set(decisions.map((d) => d.state)),
  };
}

describe('DynamoDB circuit breaker (against the embedded store)', () => {
  it('opens after N failures, refuses while open, lets one probe through, closes on success, reopens on failure', async () => {
    const key = 'http.request:crm';
    expect(await gateway(0).status(key, at(0))).toEqual({ key, state: 'closed', failures: 0 });
    expect(await gateway(0).allow(key, policy, at(0))).toEqual({
      allowed: true,
      state: 'closed',
      retryAfterMs: 0,
    });

    // Two failures from two gateways at once: both are counted (the loser of the race re-reads).
    await Promise.all([
      gateway(0).recordFailure(key, policy, at(1)),
      gateway(1).recordFailure(key, policy, at(1)),
    ]);
    expect(await gateway(2).status(key, at(2))).toEqual({ key, state: 'closed', failures: 2 });
    expect((await gateway(2).allow(key, policy, at(2))).allowed).toBe(true);

    await gateway(2).recordFailure(key, policy, at(3));
    expect(await gateway(3).status(key, at(4))).toEqual({
      key,
      state: 'open',
      failures: 3,
      openedAt: at(3).toISOString(),
      retryAt: at(30_003).toISOString(),
    });
    expect(await gateway(3).allow(key, policy, at(10_003))).toEqual({
      allowed: false,
      state: 'open',
      retryAfterMs: 20_000,
    });
    expect((await allRace(key, at(30_002))).allowed).toBe(0);

    // openSeconds later: six gateways at once, exactly one probe.
    const probe = await allRace(key, at(30_003));
    expect(probe.allowed).toBe(1);
    expect(probe.states).toEqual(new Set(['half-open']));
    expect((await gateway(4).status(key, at(30_004))).state).toBe('half-open');
    expect((await allRace(key, at(30_010))).allowed).toBe(0);

    // The probe fails: open again for another openSeconds.
    await gateway(5).recordFailure(key, policy, at(30_500));
    expect(await gateway(0).status(key, at(30_501))).toMatchObject({
      key,
      state: 'open',
      openedAt: at(30_500).toISOString(),
      retryAt: at(60_500).toISOString(),
    });
    expect((await allRace(key, at(60_499))).allowed).toBe(0);

    // The next probe succeeds: closed, failures cleared, everyone goes.
    expect((await allRace(key, at(60_500))).allowed).toBe(1);
    await gateway(1).recordSuccess(key, at(60_600));
    expect(await gateway(2).status(key, at(60_601))).toEqual({ key, state: 'closed', failures: 0 });
    expect(await allRace(key, at(60_602))).toEqual({ allowed: gateways.length, states: new Set(['closed']) });
  });

  it('hands out exactly one probe per opening, round after round', async () => {
    const key = 'http.request:mailer';
    for (let round = 0; round < 5; round++) {
      const base = round * 100_000;
      for (let i = 0; i < policy.failureThreshold; i++)
        await gateway(i).recordFailure(key, policy, at(base + i));
      expect((await gateway(0).status(key, at(base + 10))).state).toBe('open');
      expect((await allRace(key, at(base + 40_000))).allowed).toBe(1);
      await gateway(round).recordSuccess(key, at(base + 40_001));
      expect((await gateway(0).status(key, at(base + 40_002))).state).toBe('closed');
    }
  });

  it('lets a new probe go when the last one never answered for openSeconds', async () => {
    const key = 'http.request:stuck';
    for (let i = 0; i < policy.failureThreshold; i++) await gateway(i).recordFailure(key, policy, at(i));
    expect((await allRace(key, at(30_002))).allowed).toBe(1);
    // The probe's gateway died; nobody records its outcome.
    expect(await gateway(0).allow(key, policy, at(45_002))).toEqual({
      allowed: false,
      state: 'half-open',
      retryAfterMs: 15_000,
    });
    expect((await allRace(key, at(60_002))).allowed).toBe(1);
  });

  it('counts failures in a sliding window: old ones do not open the breaker', async () => {
    const key = 'http.request:flaky';
    await gateway(0).recordFailure(key, policy, at(0));
    await gateway(1).recordFailure(key, policy, at(30_000));
    await gateway(2).recordFailure(key, policy, at(60_000)); // the first is 60 s old: out of the window
    expect(await gateway(3).status(key, at(60_000))).toEqual({ key, state: 'closed', failures: 2 });
    await gateway(4).recordFailure(key, policy, at(61_000));
    expect((await gateway(5).status(key, at(61_000))).state).toBe('open');
  });

  it('stores the breaker as BREAKER#<key> / BREAKER with a version that every change bumps', async () => {
    const key = 'http.request:stored';
    const doc = DynamoDBDocumentClient.from(db.client);
    const item = async () =>
      (
        await doc.send(
          new GetCommand({ TableName: TABLE_NAMES.state, Key: { pk: `BREAKER#${key}`, sk: 'BREAKER' } }),
        )
      ).Item;
    // A healthy connector costs no writes: allow() and success on a closed breaker store nothing.
    await gateway(0).allow(key, policy, at(0));
    await gateway(0).recordSuccess(key, at(1));
    expect(await item()).toBeUndefined();

    for (let i = 0; i < policy.failureThreshold; i++) await gateway(i).recordFailure(key, policy, at(10 + i));
    expect(await item()).toMatchObject({
      state: 'open',
      failureTimes: [T0 + 10, T0 + 11, T0 + 12],
      windowSeconds: 60,
      openedAt: T0 + 12,
      retryAt: T0 + 30_012,
      version: 3,
    });
    await gateway(0).allow(key, policy, at(30_012));
    await gateway(0).recordSuccess(key, at(30_013));
    expect(await item()).toMatchObject({ state: 'closed', failureTimes: [], version: 5 });
  });

  it('decides on the item read with the intent (no read of its own), and reads when that item is stale, of another key or store', async () => {
    const key = 'http.request:joined';
    const store = createDynamoDBStateStore({ client: db.client, tableName: TABLE_NAMES.state });
    const seenWithIntent = async () => (await store.getIntentWithRunAndBreaker('run-joined', 0, key)).breaker;
    const sent: string[] = [];
    const client = new DynamoDBClient({
      endpoint: db.endpoint,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    clients.push(client);
    client.middlewareStack.add(
      (next, context) => (args) => {
        sent.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize', name: 'countBreakerRequests' },
    );
    const breaker = createDynamoDBCircuitBreaker({ client, tableName: TABLE_NAMES.state });

    // Never opened: the joined read found no item, and allow() sends nothing.
    expect(await breaker.allow(key, policy, at(0), await seenWithIntent())).toMatchObject({ allowed: true });
    expect(sent).toEqual([]);
    for (let i = 0; i < policy.failureThreshold; i++) await gateway(i).recordFailure(key, policy, at(10 + i));
    sent.length = 0;
    // Open, as the joined read saw it: refused without a read.
    expect(await breaker.allow(key, policy, at(20), await seenWithIntent())).toMatchObject({
      allowed: false,
      state: 'open',
    });
    expect(sent).toEqual([]);
    // Read while open, and another gateway took the probe since: the claim's conditional write
    // loses, and the breaker reads again and refuses (one probe only).
    const stale = await seenWithIntent();
    expect((await gateway(1).allow(key, policy, at(30_012))).allowed).toBe(true);
    expect(await breaker.allow(key, policy, at(30_013), stale)).toMatchObject({
      allowed: false,
      state: 'half-open',
    });
    expect(sent).toEqual(['PutItemCommand', 'GetItemCommand']);
    sent.length = 0;
    // A reading of another key or another table is not this breaker's: it reads its own item.
    const item = (await seenWithIntent())?.item;
    await breaker.allow(key, policy, at(30_014), {
      store: TABLE_NAMES.state,
      key: 'http.request:other',
      item,
    });
    await breaker.allow(key, policy, at(30_014), { store: 'another-table', key, item });
    expect(sent).toEqual(['GetItemCommand', 'GetItemCommand']);
  });
});
