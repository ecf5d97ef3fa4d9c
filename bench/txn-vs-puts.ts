/**
 * What one TransactWriteItems of three conditional puts costs on the embedded store against the
 * same three puts sent one by one (as a step boundary wrote them before): `npx tsx bench/txn-vs-puts.ts [n]`.
 */
import './env.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutItemCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { startEmbeddedDynamoDB } from '../lib/local/embedded-dynamodb.ts';

const n = Number(process.argv[2] ?? 500);
const TableName = 'aios-state';
const dir = mkdtempSync(join(tmpdir(), 'aios-txn-bench-'));
const db = await startEmbeddedDynamoDB({ dir, tables: [TableName] });
const items = (prefix: string, i: number) =>
  ['INTENT', 'JOURNAL', 'AUDIT'].map((kind) => ({
    TableName,
    Item: {
      pk: { S: `${prefix}#${i}` },
      sk: { S: kind },
      body: { S: 'x'.repeat(300) },
      gsi1pk: { S: `${prefix}-${kind}` },
      gsi1sk: { S: String(i) },
    },
    ConditionExpression: 'attribute_not_exists(pk)',
  }));
const time = async (label: string, run: (i: number) => Promise<unknown>) => {
  for (let i = 0; i < 50; i += 1) await run(-1 - i);
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < n; i += 1) await run(i);
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  process.stdout.write(
    `${label.padEnd(30)} ${(ms / n).toFixed(3)} ms wall, ${((used.user + used.system) / 1000 / n).toFixed(3)} ms CPU per boundary\n`,
  );
};
try {
  for (let round = 0; round < 2; round += 1) {
    await time('3 PutItem, one after another', async (i) => {
      for (const put of items(`p${round}`, i)) await db.client.send(new PutItemCommand(put));
    });
    await time('1 TransactWriteItems of 3 Put', (i) =>
      db.client.send(
        new TransactWriteItemsCommand({ TransactItems: items(`t${round}`, i).map((Put) => ({ Put })) }),
      ),
    );
  }
} finally {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
}
