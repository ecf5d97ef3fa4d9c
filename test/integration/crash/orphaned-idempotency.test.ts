import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../../lib/local/embedded-dynamodb.ts';
import { releaseOrphanedIdempotencyRecords } from '../../../lib/local/orphaned-idempotency.ts';
import { TABLE_NAMES } from '../../../lib/local/table-definitions.ts';

const TABLE = TABLE_NAMES.idempotency;
let db: EmbeddedDynamoDB;

beforeAll(async () => {
  db = await startEmbeddedDynamoDB({ tables: ['aios-idempotency'] });
});
afterAll(() => db.close());

/** A record as Powertools' DynamoDB persistence layer writes it. */
async function record(id: string, status: 'INPROGRESS' | 'COMPLETED') {
  const inAnHour = Date.now() + 3_600_000;
  await db.client.send(
    new PutItemCommand({
      TableName: TABLE,
      Item: {
        id: { S: id },
        status: { S: status },
        expiration: { N: String(Math.floor(inAnHour / 1000)) },
        in_progress_expiration: { N: String(inAnHour) },
        ...(status === 'COMPLETED' ? { data: { S: '{"ok":true}' } } : {}),
      },
    }),
  );
}

const exists = async (id: string) =>
  (await db.client.send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: id } } }))).Item !== undefined;

describe('idempotency records a dead process left in progress', () => {
  it('deletes every INPROGRESS record and keeps the completed ones', async () => {
    const dead = Array.from({ length: 30 }, (_, i) => `aios-gateway#dead-${i}`);
    for (const id of dead) await record(id, 'INPROGRESS');
    await record('aios-gateway#done', 'COMPLETED');

    expect(await releaseOrphanedIdempotencyRecords(db.client, TABLE)).toBe(dead.length);

    for (const id of dead) expect(await exists(id)).toBe(false);
    // A completed record is the stored result a redelivery replays: it must survive.
    expect(await exists('aios-gateway#done')).toBe(true);
    expect(await releaseOrphanedIdempotencyRecords(db.client, TABLE)).toBe(0);
  });
});
