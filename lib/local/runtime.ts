import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDynamoDBStateStore } from '../../functions/adapters/aws/dynamodb-state-store.ts';
import { createDynamoDBSchedulerCursors } from '../../functions/adapters/aws/dynamodb-triggers.ts';
import { systemClock } from '../../functions/adapters/system-clock.ts';
import { ROUTES } from '../../functions/api/routes.ts';
import { createAios } from '../../functions/app.ts';
import { AT_START_UP } from '../../functions/core/recovery.ts';
import { logger } from '../../functions/shared/powertools.ts';
import { SHIPPED_PLAYBOOKS } from '../../functions/shipped-playbooks.ts';
import { systemAslClock } from './asl/clock.ts';
import { startEmbeddedDynamoDB } from './embedded-dynamodb.ts';
import { faultsFromEnv } from './faults.ts';
import { startLocalHttpServer } from './http/index.ts';
import { localPorts } from './local-ports.ts';
import { memoryDirOf, startLocalMemory } from './memory.ts';
import { modelFromEnv } from './model-from-env.ts';
import { releaseOrphanedIdempotencyRecords } from './orphaned-idempotency.ts';
import { createLocalQueue, startQueueWorker } from './queue/index.ts';
import { executionArnFor, startRunMachine } from './run-machine.ts';
import { ACTION_DLQ, ACTION_QUEUE, type LocalRuntime, type LocalRuntimeOptions } from './runtime-options.ts';
import { type LocalScheduler, startLocalScheduler } from './scheduler/local-scheduler.ts';
import { TABLE_NAMES } from './table-definitions.ts';

export * from './runtime-options.ts';

const logError = (message: string) => (error: unknown) => logger.error(message, { error: error as Error });

/**
 * The local runtime: the embedded store, the durable queue, the ASL interpreter running the same
 * file as on AWS, the scheduler and one HTTP server, with aios (functions/app.ts) built on them.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const faults = faultsFromEnv(); // the soak's crash windows; nothing is wrapped without AIOS_FAULTS
  const { dataDir } = options;
  // Without a data dir nothing outlives the runtime: its scratch dirs go when it closes.
  const scratchDirs: string[] = [];
  const scratch = (name: string) => {
    const dir = mkdtempSync(join(tmpdir(), `aios-${name}-`));
    scratchDirs.push(dir);
    return dir;
  };
  const db = await startEmbeddedDynamoDB({ dir: dataDir ? join(dataDir, 'db') : undefined });
  const repaired = db.repair;
  if (repaired && repaired.orphansRemoved + repaired.itemsReindexed + repaired.interruptedRepairsFinished > 0)
    logger.warn('the store was not closed cleanly: its indexes were repaired', { ...repaired });
  const tables = { client: db.client, tableName: TABLE_NAMES.state };
  const store = faults.stateStore(createDynamoDBStateStore(tables));
  const model = options.model ?? modelFromEnv().model;
  const clock = systemClock;
  const memory = await startLocalMemory({
    client: db.client,
    dir: dataDir ? memoryDirOf(dataDir) : scratch('memory'),
    clock,
    model,
    onError: (error) => logger.error('memory indexer failed; it retries on its next pass', { error }),
  });
  const queue = createLocalQueue({
    client: db.client,
    queues: [
      {
        name: ACTION_QUEUE,
        visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 30,
        maxReceiveCount: options.maxReceiveCount ?? 5,
        deadLetterQueue: ACTION_DLQ,
      },
      { name: ACTION_DLQ, visibilityTimeoutSeconds: 30 },
    ],
  });
  const machine = startRunMachine({
    client: db.client,
    queue,
    timeScale: options.timeScale,
    onExecutionEvent: options.onExecutionEvent,
  });
  const { stepFunctions } = machine;
  const schedulerClock = options.schedulerClock ?? systemAslClock;
  let publicBaseUrl = `http://127.0.0.1:${options.port}`;
  let scheduler: LocalScheduler | undefined;
  const local = localPorts(options, {
    client: db.client,
    store,
    catalog: options.catalog,
    model,
    memory,
    queue,
    stepFunctions,
    clock,
    scheduleClock: { now: () => new Date(schedulerClock.now()) },
    outboxDir: dataDir ? join(dataDir, 'outbox') : scratch('outbox'),
    faults,
    // The server's address is known only once it listens.
    publicBaseUrl: () => publicBaseUrl,
    // A push takes effect at once: a pass after the one under way reads the registry again.
    playbookSchedules: {
      async sync() {
        await scheduler?.settled();
        await scheduler?.pass();
        return 'updated';
      },
    },
  });
  const aios = createAios(local.ports);
  // Before anything runs: the registry holds the shipped playbooks a push has not overtaken.
  await aios.seed(SHIPPED_PLAYBOOKS);
  await local.webhookSecrets.ensureAll(aios.catalog);
  machine.deploy(aios.functions);

  // Actions the previous process held when it stopped come back now, not after their visibility
  // timeout, and so do the idempotency records its dead attempts left in progress.
  const released = await queue.releaseInFlight(ACTION_QUEUE);
  if (released > 0 || repaired) await releaseOrphanedIdempotencyRecords(db.client, TABLE_NAMES.idempotency);
  const worker = startQueueWorker({
    queue,
    queueName: ACTION_QUEUE,
    // As the CDK stack's event source mapping: small batches, so each invocation ends well within its timeout.
    batchSize: 5,
    handler: aios.gateway.handler,
    pollIntervalMs: options.pollIntervalMs ?? 100,
    // The function timeout is left to the worker: a sixth of the visibility, as the CDK stack sets.
    onError: options.onWorkerError,
  });
  // What EventBridge Scheduler does on AWS: reminders, escalation emails and expiry, when due,
  // and the recovery sweep. One pass at a time: a slow pass is not overtaken by the next tick.
  let passRunning = false;
  const escalation = setInterval(() => {
    if (passRunning) return;
    passRunning = true;
    void Promise.all([
      aios.approvals.escalate().catch(logError('approval escalation failed')),
      aios.recovery.sweep().catch(logError('recovery sweep failed')),
    ]).finally(() => {
      passRunning = false;
    });
  }, options.escalationIntervalMs ?? 30_000);
  escalation.unref();
  const http = await startLocalHttpServer({
    port: options.port,
    host: '127.0.0.1',
    fetch: aios.app.fetch,
    logger: { error: (message, attributes) => logger.error(message, attributes ?? {}) },
  });
  publicBaseUrl = http.url;

  // Everything that was running when the last process stopped goes on from its checkpoint;
  // then what it left half-done: decisions its runs never heard of, runs it never started.
  await stepFunctions.resumeAll();
  await aios.recovery.sweep(AT_START_UP).catch(logError('recovery at start-up failed'));
  // After recovery, so a fire's run finds the store as the last process left it.
  scheduler = await startLocalScheduler({
    catalog: aios.catalog,
    fires: aios.fires,
    cursors: createDynamoDBSchedulerCursors(tables),
    clock: schedulerClock,
    onError: (message, error, context) => logger.error(message, { ...context, error: error as Error }),
  });

  return {
    url: http.url,
    apiToken: local.apiToken,
    store,
    stepFunctions,
    queue,
    db,
    memory,
    connectors: aios.gateway.connectors,
    executionArnFor,
    approvals: aios.approvals,
    handoffs: aios.handoffs,
    slackSigningSecret: local.slackSigningSecret,
    routes: ROUTES.map(({ method, path, auth }) => ({ method, path, public: auth !== 'operator' })),
    escalate: () => aios.approvals.escalate(),
    schedules: scheduler,
    async close() {
      clearInterval(escalation);
      await http.close();
      await scheduler.close();
      await worker.stop();
      await machine.close();
      await memory.close();
      await db.close();
      for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}
