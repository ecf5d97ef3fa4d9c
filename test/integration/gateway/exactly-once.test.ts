import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDBStateStore } from '../../../functions/adapters/aws/dynamodb-state-store.ts';
import { createEmailOutbox, IDEMPOTENCY_HEADER } from '../../../functions/adapters/local/email-outbox.ts';
import { emailSendConnector } from '../../../functions/connectors/email-send.ts';
import { httpRequestConnector } from '../../../functions/connectors/http-request.ts';
import { createHmacGrantSigner } from '../../../functions/core/capability.ts';
import { ANSWERED, type StateStore } from '../../../functions/core/ports.ts';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../../lib/local/embedded-dynamodb.ts';
import { createLocalQueue, type QueueWorker, startQueueWorker } from '../../../lib/local/queue/index.ts';
import { TABLE_NAMES } from '../../../lib/local/table-definitions.ts';
import { runFixture } from '../../support/fixtures.ts';
import { embeddedGatewayHandler, recordActions } from '../../support/gateway-actions.ts';
import { queueCounts } from '../../support/queue-counts.ts';
import { startWebhookServer, type WebhookServer } from '../../support/webhook-server.ts';

const ACTIONS = 120;
const DELIVERIES = 3;
const WORKERS = 4;
/**
 * Small batches keep each invocation well inside its timeout on a busy machine (what batches
 * do to each other is test/integration/gateway/concurrent-invocations.test.ts).
 */
const BATCH_SIZE = 2;
/**
 * Each worker's function timeout is a sixth of it (10 s), as on AWS; a loaded 2-core machine
 * needs seconds for an invocation. The queue's clock skips ahead instead of waiting it out.
 */
const VISIBILITY_SECONDS = 60;
const RUN = 'bulk-run';

let db: EmbeddedDynamoDB;
let store: StateStore;
let hook: WebhookServer;
let outbox: string;

beforeAll(async () => {
  db = await startEmbeddedDynamoDB();
  store = createDynamoDBStateStore({ client: db.client, tableName: TABLE_NAMES.state });
  hook = await startWebhookServer();
  outbox = mkdtempSync(join(tmpdir(), 'aios-exactly-once-'));
});
afterAll(async () => {
  await hook.close();
  await db.close();
  rmSync(outbox, { recursive: true, force: true });
});

/** How often each key occurs, for every key of `keys` (0 when it never did); only the keys not seen exactly once. */
function notExactlyOnce(keys: string[], seen: (string | undefined)[]) {
  const counts = new Map(keys.map((key) => [key, 0]));
  for (const key of seen) if (key !== undefined) counts.set(key, (counts.get(key) ?? 0) + 1);
  return [...counts.entries()].filter(([, n]) => n !== 1);
}

describe('gateway: exactly one effect per intent under duplicates, crashes and a busy CPU', () => {
  it(`${ACTIONS} actions (http.request to a provider that dedupes, email.send to one that does not), each delivered ${DELIVERIES} times to ${WORKERS} concurrent workers, some re-delivered after a crash before the acknowledgement: the providers see ONE request and ONE email per intent`, async () => {
    const signer = createHmacGrantSigner(async () => 'bulk-test-key'.repeat(5));
    await store.createRun(runFixture({ runId: RUN }));
    // Even steps call the webhook, odd steps send an email.
    const actions = await recordActions(store, signer, {
      runId: RUN,
      count: ACTIONS,
      action: (i) =>
        i % 2 === 0
          ? { type: 'http.request', params: { url: `${hook.url}/bulk`, method: 'POST', body: { i } } }
          : {
              type: 'email.send',
              params: { to: [`customer-${i}@example.com`], subject: `Invoice ${i}`, text: 'Thank you.' },
            },
    });
    // As SES: every send is a new message, so email.send is not idempotent here.
    const email = emailSendConnector({
      transport: createEmailOutbox({ dir: outbox, dedupes: false }),
      from: 'aios@localhost',
    });
    expect(email.idempotent).toBe(false);
    // The queue's clock can skip ahead, and does once nothing is running and nothing is visible:
    // a message that failed comes back at once instead of after a minute of real waiting.
    let skipped = 0;
    const queue = createLocalQueue({
      client: db.client,
      clock: { now: () => Date.now() + skipped },
      queues: [
        {
          name: 'actions',
          visibilityTimeoutSeconds: VISIBILITY_SECONDS,
          maxReceiveCount: 50,
          deadLetterQueue: 'actions-dlq',
        },
        { name: 'actions-dlq', visibilityTimeoutSeconds: 30 },
      ],
    });
    const answered = new Map<string, number>();
    const crashedOnce = new Set<string>();
    const failures: string[] = [];
    const handler = embeddedGatewayHandler(db, store, {
      connectors: [httpRequestConnector(), email],
      signer,
      callbacks: {
        async taskSucceeded(token) {
          // Every 7th action: the process "dies" after its effect is recorded, before the answer.
          if (Number(token.slice(2)) % 7 === 0 && !crashedOnce.has(token)) {
            crashedOnce.add(token);
            throw new Error('simulated crash before SendTaskSuccess');
          }
          answered.set(token, (answered.get(token) ?? 0) + 1);
          return ANSWERED;
        },
        async taskFailed(token, error, cause) {
          failures.push(`${token}: ${error} ${cause}`);
          return ANSWERED;
        },
      },
    });

    // Every message three times, interleaved so duplicates meet each other in flight.
    for (let round = 0; round < DELIVERIES; round += 1) {
      for (const { body } of round % 2 === 0 ? actions : [...actions].reverse()) {
        await queue.send('actions', body);
      }
    }
    const timeouts: string[] = [];
    const durations: number[] = [];
    let running = 0;
    const timed = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
      const begun = Date.now();
      running += 1;
      try {
        return await handler(event, context);
      } finally {
        running -= 1;
        durations.push(Date.now() - begun);
      }
    };
    const started = Date.now();
    const workers: QueueWorker[] = Array.from({ length: WORKERS }, (_, w) =>
      startQueueWorker({
        queue,
        queueName: 'actions',
        batchSize: BATCH_SIZE,
        handler: timed,
        pollIntervalMs: 10,
        functionName: `gateway-${w}`,
        onError: (error) => {
          if (error.name === 'HandlerTimedOutError') timeouts.push(error.message);
        },
      }),
    );
    const deadline = started + 150_000;
    let quiet = 0;
    for (;;) {
      const counts = await queueCounts(queue, 'actions');
      if (counts.total === 0 || Date.now() > deadline) break;
      // Every invocation has ended, abandoned ones included, and only invisible messages are left,
      // twice in a row: nothing can still touch them, so their visibility timeout may pass now.
      quiet = running === 0 && counts.visible === 0 ? quiet + 1 : 0;
      if (quiet >= 2) {
        skipped += VISIBILITY_SECONDS * 1000;
        quiet = 0;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await Promise.all(workers.map((w) => w.stop()));
    reportRound({ seconds: (Date.now() - started) / 1000, timeouts: timeouts.length, durations });

    expect(failures).toEqual([]);
    expect((await queueCounts(queue, 'actions')).total).toBe(0);
    expect((await queueCounts(queue, 'actions-dlq')).total).toBe(0);
    // Raw requests at the provider, not effects after its dedupe: one request per intent.
    const webhookKeys = actions.filter((_, i) => i % 2 === 0).map((a) => a.idempotencyKey);
    const requests = hook.deliveries.filter((d) => d.path === '/bulk');
    expect(
      notExactlyOnce(
        webhookKeys,
        requests.map((d) => d.idempotencyKey),
      ),
    ).toEqual([]);
    expect(requests).toHaveLength(webhookKeys.length);
    // Every .eml in the outbox is one email sent: one per intent.
    const header = new RegExp(`^${IDEMPOTENCY_HEADER}: (.+)\\r$`, 'm');
    const emails = readdirSync(outbox)
      .filter((name) => name.endsWith('.eml'))
      .map((name) => header.exec(readFileSync(join(outbox, name), 'utf8'))?.[1]);
    const emailKeys = actions.filter((_, i) => i % 2 === 1).map((a) => a.idempotencyKey);
    expect(notExactlyOnce(emailKeys, emails)).toEqual([]);
    expect(emails).toHaveLength(emailKeys.length);
    // Every action was answered, the crashed ones after their redelivery.
    expect(answered.size).toBe(ACTIONS);
    expect(crashedOnce.size).toBe(Math.floor((ACTIONS - 1) / 7) + 1);
    const intents = await store.listIntents(RUN);
    expect(intents.filter((i) => i.status === 'SUCCEEDED')).toHaveLength(ACTIONS);
    expect(intents.every((i) => i.attempts === 1)).toBe(true);
  }, 180_000);
});

/** The soak script (npm run soak:gateway) collects how each round went; `npm test` writes nothing. */
function reportRound(round: { seconds: number; timeouts: number; durations: number[] }) {
  const report = process.env.AIOS_SOAK_REPORT;
  if (!report) return;
  const sorted = [...round.durations].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0;
  const line = {
    seconds: round.seconds,
    handlerTimeouts: round.timeouts,
    invocations: sorted.length,
    p50Ms: at(0.5),
    p95Ms: at(0.95),
    maxMs: sorted.at(-1) ?? 0,
  };
  appendFileSync(report, `${JSON.stringify(line)}\n`);
}
