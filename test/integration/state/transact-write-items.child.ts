import { TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { startEmbeddedDynamoDB } from '../../../lib/local/embedded-dynamodb.ts';
import { TABLE_NAMES } from '../../../lib/local/table-definitions.ts';

/*
 * The child of transact-write-items.test.ts's kill -9 test: commits transactions on the store in
 * argv[2] until it is killed, printing the version of each one committed. Each writes that version
 * into 25 items, and moves both between index entries (gsi1sk changes with the version).
 */

const TableName = TABLE_NAMES.state;
const dir = process.argv[2];
if (!dir) throw new Error('usage: transact-write-items.child.ts <dir>');
const db = await startEmbeddedDynamoDB({ dir, tables: [TableName] });
const item = (pk: string, v: number) => ({
  pk: { S: pk },
  sk: { S: 'X' },
  v: { N: String(v) },
  gsi1pk: { S: 'kill' },
  gsi1sk: { S: `${pk}-${v % 2}` },
});
// Many items, so a kill is as likely to fall among a transaction's writes as between transactions.
const ITEMS = Array.from({ length: 25 }, (_, index) => `kill-${index}`);
for (let v = 1; ; v += 1) {
  await db.client.send(
    new TransactWriteItemsCommand({
      TransactItems: ITEMS.map((pk) => ({ Put: { TableName, Item: item(pk, v) } })),
    }),
  );
  process.stdout.write(`${v}\n`);
  // Never closes cleanly: the parent's kill is the only way out, and it must find the child here.
  if (v > 100_000) throw new Error('never killed');
}
