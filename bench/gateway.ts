import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { createDynamoDBStateStore } from '../functions/adapters/aws/dynamodb-state-store.ts';
import { createHmacGrantSigner, mintGrant } from '../functions/core/capability.ts';
import { idempotencyKeyFor } from '../functions/core/idempotency-key.ts';
import { ANSWERED } from '../functions/core/ports.ts';
import { startEmbeddedDynamoDB } from '../lib/local/embedded-dynamodb.ts';
import { createLocalQueue, releaseRecordsTo, startQueueWorker } from '../lib/local/queue/index.ts';
import { TABLE_NAMES } from '../lib/local/table-definitions.ts';
import { gatewayOnEmbeddedStore } from '../test/support/embedded-gateway.ts';
import { countRequests } from './request-counter.ts';

export interface GatewayBenchCase {
  workers: number;
  /** Each message is delivered this many times (SQS is at-least-once). */
  deliveries: number;
}

export interface GatewayBenchResult extends GatewayBenchCase {
  actions: number;
  actionsPerSecond: number[];
  /**
   * CPU time of the whole process per action (LevelDB's threads included), each run: steadier than
   * actions/s on a machine others load, and 1000 ÷ it is what one core could do.
   */
  cpuMsPerAction: number[];
  writesPerAction: number;
  requestsPerAction: number;
  writesByTable: Record<string, number>;
  /** The same store's plain requests/s, measured right after each run (see storeRequestsPerSecond). */
  storeRequestsPerSecond: number[];
}

const RUN = 'bench-gateway';
/** As aios dev and the CDK stack's event source mapping; AIOS_BENCH_BATCH_SIZE (1-10) compares others. */
export const GATEWAY_BENCH_BATCH_SIZE = Number(process.env.AIOS_BENCH_BATCH_SIZE ?? 5);

/**
 * The gateway as `aios dev` runs it: the real handler (grant check, Powertools idempotency,
 * rate limiter, breaker, audit, journal) fed by the durable local queue, on a store on disk.
 * One run: N recorded intents, N × deliveries messages, W workers, timed until the queue drains.
 */
export async function benchGateway(
  actions: number,
  testCase: GatewayBenchCase,
  runs: number,
): Promise<GatewayBenchResult> {
  const rates: number[] = [];
  const cpuPerAction: number[] = [];
  const storeRates: number[] = [];
  let writes = 0;
  let requests = 0;
  let writesByTable: Record<string, number> = {};
  for (let run = 0; run < runs; run += 1) {
    const dir = mkdtempSync(join(tmpdir(), 'aios-bench-gateway-'));
    const db = await startEmbeddedDynamoDB({ dir });
    try {
      const store = createDynamoDBStateStore({ client: db.client, tableName: TABLE_NAMES.state });
      const signer = createHmacGrantSigner(async () => 'bench-key'.repeat(8));
      const queue = createLocalQueue({
        client: db.client,
        queues: [
          { name: 'actions', visibilityTimeoutSeconds: 30, maxReceiveCount: 20, deadLetterQueue: 'dlq' },
          { name: 'dlq', visibilityTimeoutSeconds: 30 },
        ],
      });
      let answered = 0;
      const handler = gatewayOnEmbeddedStore({
        client: db.client,
        store,
        signer,
        // Limits high enough never to refuse: this measures the door, not the throttle.
        rateLimit: { ratePerSecond: 100_000, burst: 100_000 },
        releaseUntouched: releaseRecordsTo(queue),
        callbacks: {
          async taskSucceeded() {
            answered += 1;
            return ANSWERED;
          },
          async taskFailed(token, error, cause) {
            throw new Error(`${token}: ${error} ${cause}`);
          },
        },
      });
      const now = new Date();
      await store.createRun({
        runId: RUN,
        workflow: 'bench',
        workflowVersion: 1,
        mode: 'live',
        status: 'RUNNING',
        input: {},
        budget: { maxUsd: 0, maxModelCalls: 0 },
        spentUsd: 0,
        modelCalls: 0,
        createdAt: now.toISOString(),
        updatedAt: now.toISOString(),
      });
      const bodies: string[] = [];
      for (let i = 0; i < actions; i += 1) {
        const idempotencyKey = idempotencyKeyFor(RUN, i, `s${i}`);
        const action = {
          type: 'state.upsert',
          params: { entityType: 'customer', entityId: `c${i}`, data: { i } },
        };
        await store.recordIntent({
          runId: RUN,
          stepIndex: i,
          stepId: `s${i}`,
          title: `step ${i}`,
          action,
          idempotencyKey,
          status: 'RECORDED',
          decision: 'allow',
          reason: 'bench',
          attempts: 0,
          recordedAt: now.toISOString(),
        });
        const grant = await mintGrant(
          signer,
          { agent: 'executor', workflow: 'bench', runId: RUN, stepIndex: i, actions: ['state.upsert'] },
          now,
        );
        bodies.push(
          JSON.stringify({ taskToken: `t${i}`, grant, runId: RUN, stepIndex: i, idempotencyKey, action }),
        );
      }
      for (let d = 0; d < testCase.deliveries; d += 1)
        for (const body of bodies) await queue.send('actions', body);

      // Done when every message is deleted: counted as the workers delete, so the bench does not
      // poll the queue (a read of all of it) while it measures.
      const messages = actions * testCase.deliveries;
      let deleted = 0;
      let drained: () => void = () => {};
      const allDeleted = new Promise<void>((resolve) => {
        drained = resolve;
      });
      const counted = (gone: boolean) => {
        if (gone && ++deleted === messages) drained();
        return gone;
      };
      const counting: typeof queue = {
        ...queue,
        async deleteMessage(queueName, receiptHandle) {
          return counted(await queue.deleteMessage(queueName, receiptHandle));
        },
        async deleteMessages(queueName, receiptHandles) {
          return (await queue.deleteMessages(queueName, receiptHandles)).map(counted);
        },
      };
      const counter = countRequests(db.client);
      const started = performance.now();
      const cpuAtStart = process.cpuUsage();
      // W workers: one receiver feeding W invocations at once, each with its own batch.
      const worker = startQueueWorker({
        queue: counting,
        queueName: 'actions',
        batchSize: GATEWAY_BENCH_BATCH_SIZE,
        concurrency: testCase.workers,
        handler,
        pollIntervalMs: 100,
        // The function timeout is a sixth of the visibility (5 s), as aios dev and the CDK stack set.
        onError: () => {},
      });
      // A message dead-lettered is never deleted from here: a slow look at the queue catches that.
      let done = false;
      void allDeleted.then(() => {
        done = true;
      });
      while (!done) {
        await Promise.race([allDeleted, new Promise((r) => setTimeout(r, 1_000))]);
        if (!done && (await queue.list('actions')).length === 0) done = true;
      }
      const seconds = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuAtStart);
      await worker.stop();
      const left = await queue.list('actions');
      if (left.length > 0) throw new Error(`${left.length} messages are still on the queue`);
      if (answered < actions) throw new Error(`only ${answered} of ${actions} actions were answered`);
      rates.push(actions / seconds);
      cpuPerAction.push((cpu.user + cpu.system) / 1000 / actions);
      const counts = counter.snapshot();
      writes = counts.writes;
      requests = counts.total;
      writesByTable = { ...counts.writesByTable };
      storeRates.push(await storeRequestsPerSecond(db.client, 1000));
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const perAction = (n: number) => n / actions;
  return {
    ...testCase,
    actions,
    actionsPerSecond: rates,
    cpuMsPerAction: cpuPerAction,
    writesPerAction: perAction(writes),
    requestsPerAction: perAction(requests),
    writesByTable: Object.fromEntries(Object.entries(writesByTable).map(([t, n]) => [t, perAction(n)])),
    storeRequestsPerSecond: storeRates,
  };
}

/**
 * What the store alone allows: plain reads and writes of small items, five at a time as one
 * worker's batch runs its records, with nothing of the gateway around them, on the store the run
 * just used and at the same moment (the machine's load moves). Divided by the gateway's requests
 * per action, it is the most actions/s any gateway on this store could reach with one worker.
 */
async function storeRequestsPerSecond(client: DynamoDBClient, requests: number): Promise<number> {
  const doc = DynamoDBDocumentClient.from(client);
  const TableName = TABLE_NAMES.state;
  const one = async (i: number) => {
    const Key = { pk: `bench#${i % 50}`, sk: 'item' };
    if (i % 2 === 0)
      await doc.send(new PutCommand({ TableName, Item: { ...Key, n: i, data: 'x'.repeat(200) } }));
    else await doc.send(new GetCommand({ TableName, Key, ConsistentRead: true }));
  };
  for (let i = 0; i < 50; i++) await one(i * 2);
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 5 }, async () => {
      while (next < requests) await one(next++);
    }),
  );
  return requests / ((performance.now() - started) / 1000);
}
