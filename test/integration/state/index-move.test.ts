import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../../lib/local/embedded-dynamodb.ts';
import { TABLE_NAMES } from '../../../lib/local/table-definitions.ts';
import { gsi1Partition } from '../../support/gsi1.ts';

const TableName = TABLE_NAMES.state;
let db: EmbeddedDynamoDB;

let dir: string;

beforeAll(async () => {
  // On disk, as the local runtime keeps it: LevelDB's writes are where the two steps of a move part.
  dir = mkdtempSync(join(tmpdir(), 'aios-index-move-'));
  db = await startEmbeddedDynamoDB({ dir, tables: [TableName] });
});
afterAll(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

const inPartition = async (partition: string) => (await gsi1Partition(db.client, partition)).length;

describe('an item moving between index partitions', () => {
  // What the listing of runs by status relies on: it queries the partition a run leaves before the
  // one it enters, so a run is missed only if neither query sees it, which a move done in two writes
  // (dynalite deletes the old entry, then puts the new one) allows.
  it('is in the partition it leaves or the one it enters, at every moment', async () => {
    const key = { pk: { S: 'RUN#moving' }, sk: { S: 'RUN' } };
    await db.client.send(
      new PutItemCommand({ TableName, Item: { ...key, gsi1pk: { S: 'A' }, gsi1sk: { S: 't' } } }),
    );
    let moving = true;
    let misses = 0;
    let looks = 0;
    const watch = async () => {
      while (moving) {
        // Old then new, as the listing does; a move from B back to A is met the same way round.
        const a = await inPartition('A');
        const b = await inPartition('B');
        const c = await inPartition('A');
        looks += 1;
        if (a + b + c === 0) misses += 1;
        // An in-memory store can answer on microtasks alone: let the moves have the event loop too.
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const watchers = Array.from({ length: 4 }, watch);
    for (let move = 0; move < 300; move += 1) {
      await db.client.send(
        new UpdateItemCommand({
          TableName,
          Key: key,
          UpdateExpression: 'SET gsi1pk = :to',
          ExpressionAttributeValues: { ':to': { S: move % 2 === 0 ? 'B' : 'A' } },
        }),
      );
    }
    moving = false;
    await Promise.all(watchers);
    expect(looks).toBeGreaterThan(0);
    expect(misses).toBe(0);
  });
});
