import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDBRunStartClaims } from '../../../functions/adapters/aws/dynamodb-run-start-claims.ts';
import type { RunStartClaim, RunStartClaims } from '../../../functions/core/run-start-claims.ts';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../../lib/local/embedded-dynamodb.ts';
import { TABLE_NAMES } from '../../../lib/local/table-definitions.ts';
import { runFixture } from '../../support/fixtures.ts';

let db: EmbeddedDynamoDB;
let claims: RunStartClaims;

beforeAll(async () => {
  db = await startEmbeddedDynamoDB({ tables: [TABLE_NAMES.state] });
  claims = createDynamoDBRunStartClaims({ client: db.client, tableName: TABLE_NAMES.state });
});
afterAll(() => db.close());

const at = (iso: string) => new Date(iso);
const claim = (key: string, runId: string, requestHash = 'hash-a'): RunStartClaim => ({
  key,
  requestHash,
  run: runFixture({ runId, status: 'QUEUED' }),
  claimedAt: '2026-11-25T10:00:00.000Z',
  expiresAt: '2026-11-26T10:00:00.000Z',
});

describe('run-start claims in DynamoDB (the embedded store)', () => {
  it('the first claim of a key wins; a second gets the first back, run record and all', async () => {
    const now = at('2026-11-25T10:00:00.000Z');
    expect(await claims.claim(claim('key-a', 'run-1'), now)).toEqual(claim('key-a', 'run-1'));
    expect(await claims.claim(claim('key-a', 'run-2', 'hash-b'), now)).toEqual(claim('key-a', 'run-1'));
    expect(await claims.get('key-a', now)).toEqual(claim('key-a', 'run-1'));
    expect(await claims.get('key-unknown', now)).toBeUndefined();
  });

  it('many claims of one key at once: exactly one wins, and all of them get that one', async () => {
    const now = at('2026-11-25T10:00:00.000Z');
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => claims.claim(claim('key-race', `run-${i}`), now)),
    );
    expect(new Set(results.map((r) => r.run.runId)).size).toBe(1);
  });

  it('an expired claim is none: get ignores it and a new claim replaces it, before TTL deletes it', async () => {
    await claims.claim(claim('key-old', 'run-old'), at('2026-11-25T10:00:00.000Z'));
    const later = at('2026-11-26T10:00:01.000Z');
    expect(await claims.get('key-old', later)).toBeUndefined();
    const fresh = { ...claim('key-old', 'run-new'), expiresAt: '2026-11-27T10:00:01.000Z' };
    expect(await claims.claim(fresh, later)).toEqual(fresh);
    expect((await claims.get('key-old', later))?.run.runId).toBe('run-new');
  });

  it('keys with characters that mean something elsewhere are just keys', async () => {
    const now = at('2026-11-25T10:00:00.000Z');
    for (const key of ['a#b', 'RUN#x', ' spaced ', '"quoted"', '~'.repeat(255)]) {
      expect((await claims.claim(claim(key, `run-${key.length}`), now)).key).toBe(key);
      expect((await claims.get(key, now))?.key).toBe(key);
    }
  });
});
