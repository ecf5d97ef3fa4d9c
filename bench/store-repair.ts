import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoDBStateStore } from '../functions/adapters/aws/dynamodb-state-store.ts';
import type { Run } from '../functions/core/schemas.ts';
import { startEmbeddedDynamoDB } from '../lib/local/embedded-dynamodb.ts';
import { TABLE_NAMES } from '../lib/local/table-definitions.ts';
import { forgetCleanClose, tearLastWrite } from '../test/support/torn-store.ts';
import { median, ms } from './stats.ts';
import { renderTable } from './table.ts';

const SIZES = [1_000, 10_000];
const TORN = 20;
const REPEATS = 3;

const runOf = (i: number): Run => {
  const at = new Date(Date.UTC(2026, 10, 25, 10, 0, 0, i)).toISOString();
  return {
    runId: `onboarding-bench-${String(i).padStart(6, '0')}`,
    workflow: 'onboarding',
    workflowVersion: 1,
    mode: 'live',
    status: i % 4 === 0 ? 'RUNNING' : 'SUCCEEDED',
    input: { customerId: `c-${i}`, name: 'Acme Studio', email: 'billing@acme.example', setupFee: 1500 },
    budget: { maxUsd: 0.5, maxModelCalls: 5 },
    spentUsd: 0.01,
    modelCalls: 1,
    summary:
      'Completed 6 steps: create-customer; notify-crm; open-project; draft-first-invoice; send; activate.',
    createdAt: at,
    updatedAt: at,
  };
};

/** A store on disk with `items` items in the state table: half run records (indexed), half journal lines. */
async function populate(dir: string, items: number): Promise<string[]> {
  const db = await startEmbeddedDynamoDB({ dir });
  const store = createDynamoDBStateStore({ client: db.client, tableName: TABLE_NAMES.state });
  const runIds: string[] = [];
  const runs = items / 2;
  for (let start = 0; start < runs; start += 16) {
    await Promise.all(
      Array.from({ length: Math.min(16, runs - start) }, async (_, k) => {
        const run = runOf(start + k);
        runIds.push(run.runId);
        await store.createRun(run);
        await store.appendJournal({
          runId: run.runId,
          at: run.createdAt,
          kind: 'run',
          message: 'run started',
        });
      }),
    );
  }
  await db.close();
  return runIds;
}

/**
 * Tears the last write of each run record: half become phantom entries (the record was never
 * written), half entries holding another content than their record (a change killed mid-write).
 */
async function tear(dir: string, runIds: string[]) {
  const db = await startEmbeddedDynamoDB({ dir });
  const records = await Promise.all(
    runIds.map(async (runId) => {
      const key = { pk: { S: `RUN#${runId}` }, sk: { S: 'RUN' } };
      const { Item } = await db.client.send(new GetItemCommand({ TableName: TABLE_NAMES.state, Key: key }));
      return { key, item: Item };
    }),
  );
  await db.close();
  for (const [i, { key, item }] of records.entries()) {
    const before = i % 2 === 0 || !item ? undefined : { ...item, summary: { S: 'an older summary' } };
    await tearLastWrite(dir, TABLE_NAMES.state, key, before, 'after-index-writes');
  }
}

/** Milliseconds from opening the store to its being ready, after a clean close or after a kill. */
async function timedStart(dir: string, killed: boolean) {
  if (killed) forgetCleanClose(dir);
  const started = performance.now();
  const db = await startEmbeddedDynamoDB({ dir });
  const elapsed = performance.now() - started;
  const repair = db.repair;
  await db.close();
  return { elapsed, repair };
}

export async function storeRepairSection(say: (text?: string) => void) {
  say();
  say(`## (e) Embedded store start-up: index repair after a kill, median of ${REPEATS} starts`);
  say();
  const rows: string[][] = [];
  for (const items of SIZES) {
    const dir = mkdtempSync(join(tmpdir(), 'aios-bench-repair-'));
    try {
      const runIds = await populate(dir, items);
      const cases: [string, boolean, boolean][] = [
        ['after a clean close (no repair)', false, false],
        ['after a kill, nothing torn', true, false],
        [`after a kill, ${TORN} writes torn`, true, true],
      ];
      for (const [name, killed, torn] of cases) {
        const times: number[] = [];
        let last: Awaited<ReturnType<typeof timedStart>>['repair'];
        for (let i = 0; i < REPEATS; i += 1) {
          if (torn) await tear(dir, runIds.slice(i * TORN, (i + 1) * TORN));
          const { elapsed, repair } = await timedStart(dir, killed);
          times.push(elapsed);
          last = repair;
        }
        rows.push([
          String(items),
          name,
          ms(median(times), 0),
          last ? String(last.items + last.entries) : '-',
          last ? String(last.orphansRemoved + last.itemsReindexed) : '-',
        ]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  say(
    renderTable(
      [
        { header: 'items' },
        { header: 'start' },
        { header: 'median ms', align: 'right' },
        { header: 'items + entries read', align: 'right' },
        { header: 'repaired', align: 'right' },
      ],
      rows,
    ),
  );
  say();
  say('- Items: half run records (in gsi1), half journal lines (not indexed), in the state table; the');
  say('  other tables are empty. "start" is startEmbeddedDynamoDB until it returns: LevelDB open, tables');
  say('  checked, and the repair pass when the last close was not clean (lib/local/index-repair.ts).');
  say('- Torn writes are built with test/support/torn-store.ts, the way a SIGKILL leaves them.');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await import('./env.ts');
  await storeRepairSection((text = '') => process.stdout.write(`${text}\n`));
}
