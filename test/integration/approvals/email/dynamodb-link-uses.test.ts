import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDBLinkTokenUses } from '../../../../functions/adapters/aws/dynamodb-link-uses.ts';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../../../lib/local/embedded-dynamodb.ts';
import { TABLE_NAMES } from '../../../../lib/local/table-definitions.ts';

let db: EmbeddedDynamoDB;

beforeAll(async () => {
  db = await startEmbeddedDynamoDB({ tables: [TABLE_NAMES.state] });
});
afterAll(async () => {
  await db.close();
});

describe('DynamoDB link uses (against the embedded store)', () => {
  it('lets exactly one of two concurrent uses of a nonce through', async () => {
    const uses = createDynamoDBLinkTokenUses({ client: db.client, tableName: TABLE_NAMES.state });
    const exp = Date.parse('2026-11-25T11:00:00.000Z');

    const results = await Promise.all([
      uses.markUsed('nonce-race-0001', exp),
      uses.markUsed('nonce-race-0001', exp),
    ]);

    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await uses.markUsed('nonce-race-0001', exp)).toBe(false);
  });

  it('keeps nonces apart', async () => {
    const uses = createDynamoDBLinkTokenUses({ client: db.client, tableName: TABLE_NAMES.state });

    expect(await uses.markUsed('nonce-a-000000001', Date.now())).toBe(true);
    expect(await uses.markUsed('nonce-b-000000001', Date.now())).toBe(true);
  });

  it('stores the use under LINK#<nonce> with a TTL past the link expiry', async () => {
    const now = new Date('2026-11-25T10:00:00.000Z');
    const uses = createDynamoDBLinkTokenUses({
      client: db.client,
      tableName: TABLE_NAMES.state,
      now: () => now,
    });
    const exp = Date.parse('2026-11-25T11:00:00.000Z');

    await uses.markUsed('nonce-item-00000001', exp);

    const doc = DynamoDBDocumentClient.from(db.client);
    const { Item } = await doc.send(
      new GetCommand({ TableName: TABLE_NAMES.state, Key: { pk: 'LINK#nonce-item-00000001', sk: 'LINK' } }),
    );
    expect(Item).toMatchObject({ usedAt: now.toISOString() });
    expect(Item?.expiresAt).toBeGreaterThan(exp / 1000);
  });
});
