import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { createDynamoDBAlertMarks } from '../../functions/adapters/aws/dynamodb-alert-marks.ts';
import { createDynamoDBApprovalStore } from '../../functions/adapters/aws/dynamodb-approval-store.ts';
import { createDynamoDBCircuitBreaker } from '../../functions/adapters/aws/dynamodb-circuit-breaker.ts';
import { createDynamoDBHandoffStore } from '../../functions/adapters/aws/dynamodb-handoff-store.ts';
import { createDynamoDBPlaybookStore } from '../../functions/adapters/aws/dynamodb-playbook-store.ts';
import { createDynamoDBRateLimiter } from '../../functions/adapters/aws/dynamodb-rate-limiter.ts';
import { createDynamoDBRunStartClaims } from '../../functions/adapters/aws/dynamodb-run-start-claims.ts';
import { createDynamoDBStateStore } from '../../functions/adapters/aws/dynamodb-state-store.ts';
import {
  createDynamoDBSchedulerCursors,
  createDynamoDBScheduleStore,
  createDynamoDBWebhookEvents,
} from '../../functions/adapters/aws/dynamodb-triggers.ts';
import { createDynamoDBTrustStore } from '../../functions/adapters/aws/dynamodb-trust-store.ts';
import { isClosedTaskToken } from '../../functions/adapters/aws/step-functions.ts';
import { systemClock } from '../../functions/adapters/system-clock.ts';
import { ROUTES } from '../../functions/api/routes.ts';
import {
  createAlerts,
  createApiHandlers,
  createApprovals,
  createExecutor,
  createGateway,
  createHandoffs,
  createLocalConsoleApp,
  createLocalHttpApp,
  createMonitor,
  createPlanner,
  createPlaybooks,
  createRecoveryService,
  createRunRecorder,
  createScheduleFiresService,
  createTrust,
  createWebhookTriggerService,
} from '../../functions/app.ts';
import { createApprovalHandler } from '../../functions/approvals/approval-handler.ts';
import { createDynamoDBLinkTokenUses } from '../../functions/approvals/email/dynamodb-link-uses.ts';
import { createApprovalLinkRoutes } from '../../functions/approvals/email/link-handler.ts';
import { createLinkTokens } from '../../functions/approvals/email/link-token.ts';
import {
  createSlackInteractionRoutes,
  slackInteractionClient,
} from '../../functions/approvals/slack/interactions.ts';
import { connectorStatuses } from '../../functions/connectors/status.ts';
import { createConsoleAuth } from '../../functions/console/auth.ts';
import type { HandoffService } from '../../functions/core/agents/handoff-service.ts';
import type { Approval } from '../../functions/core/approvals/approval.ts';
import type { ApprovalService } from '../../functions/core/approvals/service.ts';
import { createHmacGrantSigner } from '../../functions/core/capability.ts';
import type { ConnectorCatalogue } from '../../functions/core/connector.ts';
import { describeDeadLetter } from '../../functions/core/dead-letter.ts';
import { NotFoundError } from '../../functions/core/errors.ts';
import type { GatewayLimits } from '../../functions/core/gateway.ts';
import type {
  DeadLetters,
  ModelPort,
  Orchestrator,
  OrchestratorCallbacks,
  StateStore,
  WorkflowCatalog,
} from '../../functions/core/ports.ts';
import { AT_START_UP } from '../../functions/core/recovery.ts';
import type { OperatorPolicy } from '../../functions/core/schemas.ts';
import { createHookRoutes } from '../../functions/hooks/hook-routes.ts';
import { logger } from '../../functions/shared/powertools.ts';
import { SHIPPED_PLAYBOOKS, shippedCatalog, shippedOperatorPolicy } from '../../playbooks/catalog.ts';
import { type AslClock, systemAslClock } from './asl/clock.ts';
import {
  createDynamoDBExecutionStore,
  createLocalStepFunctions,
  type HistoryEvent,
  type LocalStepFunctions,
} from './asl/index.ts';
import { localCredentials } from './credentials.ts';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from './embedded-dynamodb.ts';
import { faultsFromEnv } from './faults.ts';
import { localWebhookSecrets } from './hook-secrets.ts';
import {
  ensureApiToken,
  ensureLocalSecret,
  type LocalHttpServer,
  localEdge,
  startLocalHttpServer,
} from './http/index.ts';
import { createLocalContext } from './http/lambda-context.ts';
import { type LocalMemory, memoryDirOf, startLocalMemory } from './memory.ts';
import { modelFromEnv } from './model-from-env.ts';
import { createEmailOutbox } from './outbox/email-outbox.ts';
import { createSlackOutbox } from './outbox/slack-outbox.ts';
import { createLocalQueue, type LocalQueue, type QueueWorker, startQueueWorker } from './queue/index.ts';
import { type LocalScheduler, startLocalScheduler } from './scheduler/local-scheduler.ts';
import { TABLE_NAMES } from './table-definitions.ts';
import { createWebhookSink } from './webhook-sink.ts';

export const ACTION_QUEUE = 'aios-actions';
export const ACTION_DLQ = 'aios-actions-dlq';
const ACCOUNT = '000000000000';
const LOCAL_FROM = 'aios@localhost';
const ENDED_STATUS: Partial<Record<string, 'FAILED' | 'ABORTED'>> = {
  ExecutionFailed: 'FAILED',
  ExecutionAborted: 'ABORTED',
};
const RUN_DEFINITION = fileURLToPath(new URL('../../statemachines/run.asl.json', import.meta.url));

/** The same names the CDK stack substitutes, pointing at the in-process stand-ins. */
export const LOCAL_SUBSTITUTIONS = {
  PlannerFunctionArn: `arn:aws:lambda:local:${ACCOUNT}:function:aios-planner`,
  ExecutorFunctionArn: `arn:aws:lambda:local:${ACCOUNT}:function:aios-executor`,
  MonitorFunctionArn: `arn:aws:lambda:local:${ACCOUNT}:function:aios-monitor`,
  RunRecorderFunctionArn: `arn:aws:lambda:local:${ACCOUNT}:function:aios-run-recorder`,
  ActionQueueUrl: `http://127.0.0.1/${ACCOUNT}/${ACTION_QUEUE}`,
  ApprovalFunctionArn: `arn:aws:lambda:local:${ACCOUNT}:function:aios-approvals`,
} as const;

export interface LocalRuntimeOptions {
  /** Where everything is kept; omit for an in-memory runtime (tests). */
  dataDir?: string;
  /** HTTP port; 0 picks a free one. */
  port: number;
  model?: ModelPort;
  catalog?: WorkflowCatalog;
  /** Multiplies every wait of the orchestrator (retry backoff, timeouts); tests make it small. */
  timeScale?: number;
  /**
   * How long a gateway message stays invisible while handled; a crashed attempt reappears after it.
   * The gateway's function timeout (and so every connector call's deadline) is a sixth of it.
   */
  visibilityTimeoutSeconds?: number;
  maxReceiveCount?: number;
  pollIntervalMs?: number;
  /** Extra wiring for tests: wrap a connector-facing fetch, observe orchestrator events. */
  fetchImpl?: typeof fetch;
  onExecutionEvent?: (executionArn: string, event: HistoryEvent) => void;
  onWorkerError?: (error: Error) => void;
  operatorPolicy?: OperatorPolicy;
  /** Rate limits and breakers per action type; the connector descriptors by default. */
  limitsOf?: (actionType: string) => GatewayLimits | undefined;
  /** How often the approval escalation job runs (default every 30 s). */
  escalationIntervalMs?: number;
  /** Called with each magic link sent, so `aios dev` can print it. */
  onApprovalLink?: (approval: Approval, email: string, link: string) => void;
  /** Fault injection for the crash tests: wraps how the gateway answers the orchestrator. */
  decorateCallbacks?: (callbacks: OrchestratorCallbacks) => OrchestratorCallbacks;
  /** Fault injection for the tests: wraps how the API starts a run's execution. */
  decorateOrchestrator?: (orchestrator: Orchestrator) => Orchestrator;
  /** Model steps: calls per tier before the other tier, and the first backoff (tests make it small). */
  modelRetry?: { attempts: number; baseDelayMs: number };
  /** The schedules' clock: when fires are due and when the scheduler wakes (tests drive it). */
  schedulerClock?: AslClock;
  /** Where a failed run is told (once): a Slack outbox channel, else emails (default Slack #aios-alerts). */
  operatorAlerts?: { slackChannel: string } | { email: readonly string[] };
}

export interface LocalRuntime {
  readonly url: string;
  readonly apiToken: string;
  readonly store: StateStore;
  readonly stepFunctions: LocalStepFunctions;
  readonly queue: LocalQueue;
  readonly db: EmbeddedDynamoDB;
  /** The gateway's connector catalogue. */
  readonly connectors: ConnectorCatalogue;
  readonly approvals: ApprovalService;
  /** Model steps handed to the operator: list them, complete them. */
  readonly handoffs: HandoffService;
  /** What the local Slack app signs interactions with (.aios/slack-signing-secret). */
  readonly slackSigningSecret: string;
  /** Every route the HTTP server serves, from the route table (the fuzz test reads these, so a new route is fuzzed too). */
  readonly routes: readonly { method: string; path: string; public: boolean }[];
  /** The local scheduler: a test drives a pass after moving its clock. */
  readonly schedules: LocalScheduler;
  /** One pass of the approval escalation job, now. */
  escalate(): ReturnType<ApprovalService['escalate']>;
  /** Memory: its log, index, indexer tailer and services. */
  readonly memory: LocalMemory;
  executionArnFor(runId: string): string;
  close(): Promise<void>;
}

/**
 * Composition root of the local runtime: the same handlers and the same ASL file as on AWS,
 * wired to the embedded store, the durable local queue and the local ASL interpreter.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const faults = faultsFromEnv(); // the soak's crash windows; nothing is wrapped without AIOS_FAULTS
  const db = await startEmbeddedDynamoDB({ dir: options.dataDir ? join(options.dataDir, 'db') : undefined });
  const repaired = db.repair;
  if (repaired && repaired.orphansRemoved + repaired.itemsReindexed + repaired.interruptedRepairsFinished > 0)
    logger.warn('the store was not closed cleanly: its indexes were repaired', { ...repaired });
  const store = faults.stateStore(
    createDynamoDBStateStore({ client: db.client, tableName: TABLE_NAMES.state }),
  );
  const catalog = options.catalog ?? shippedCatalog;
  const model = options.model ?? modelFromEnv().model;
  const clock = systemClock;
  const trust = createTrust({
    trust: createDynamoDBTrustStore({ client: db.client, tableName: TABLE_NAMES.state }),
    store,
    catalog,
    clock,
  });
  const memory = await startLocalMemory({
    client: db.client,
    dir: options.dataDir ? memoryDirOf(options.dataDir) : mkdtempSync(join(tmpdir(), 'aios-memory-')),
    clock,
    model,
    pollIntervalMs: Math.max(50, options.pollIntervalMs ?? 250),
    onError: (error) => logger.error('memory indexer failed; it retries on its next pass', { error }),
  });
  const visibilityTimeoutSeconds = options.visibilityTimeoutSeconds ?? 30;
  const queue = createLocalQueue({
    client: db.client,
    queues: [
      {
        name: ACTION_QUEUE,
        visibilityTimeoutSeconds,
        maxReceiveCount: options.maxReceiveCount ?? 5,
        deadLetterQueue: ACTION_DLQ,
      },
      { name: ACTION_DLQ, visibilityTimeoutSeconds: 30 },
    ],
  });

  // The grant-signing key: a generated file under .aios/ (Secrets Manager on AWS).
  const grantKey = options.dataDir
    ? ensureLocalSecret(options.dataDir, 'grant-key')
    : randomBytes(32).toString('hex');
  const signer = createHmacGrantSigner(async () => grantKey);
  const agents: Record<string, (payload: unknown) => Promise<unknown>> = {};
  const invoke = (
    name: string,
    handler: (event: never, context: ReturnType<typeof createLocalContext>) => Promise<unknown>,
  ) => {
    agents[name] = (payload) => handler(payload as never, createLocalContext(name, 60_000));
  };
  const handoffStore = createDynamoDBHandoffStore({ client: db.client, tableName: TABLE_NAMES.state });
  invoke(
    LOCAL_SUBSTITUTIONS.PlannerFunctionArn,
    createPlanner({
      store,
      model,
      catalog,
      clock,
      memory: memory.service,
      handoffs: handoffStore,
      retry: options.modelRetry,
    }),
  );
  invoke(
    LOCAL_SUBSTITUTIONS.ExecutorFunctionArn,
    createExecutor({
      store,
      catalog,
      clock,
      operatorPolicy: options.operatorPolicy ?? shippedOperatorPolicy,
      signer,
    }),
  );
  invoke(LOCAL_SUBSTITUTIONS.MonitorFunctionArn, createMonitor({ store, clock }));
  const outboxDir = options.dataDir
    ? join(options.dataDir, 'outbox')
    : mkdtempSync(join(tmpdir(), 'aios-outbox-'));
  // Email and Slack land in the outbox: .eml files and JSON payloads the operator can open.
  const slackOutbox = createSlackOutbox({ dir: join(outboxDir, 'slack'), clock });
  const emailOutbox = createEmailOutbox({ dir: join(outboxDir, 'email'), clock });
  let publicBaseUrl = `http://127.0.0.1:${options.port}`;
  const alertsTo = options.operatorAlerts ?? { slackChannel: '#aios-alerts' };
  invoke(
    LOCAL_SUBSTITUTIONS.RunRecorderFunctionArn,
    createRunRecorder({
      store,
      clock,
      memory: memory.service,
      reviews: trust,
      alerts: createAlerts({
        marks: createDynamoDBAlertMarks({ client: db.client, tableName: TABLE_NAMES.state }),
        clock,
        ...('slackChannel' in alertsTo
          ? { slack: { transport: slackOutbox, channel: alertsTo.slackChannel } }
          : { email: { transport: emailOutbox, from: LOCAL_FROM, to: alertsTo.email } }),
        runLinkBase: () => publicBaseUrl,
      }),
    }),
  );

  const endRecordings = new Set<Promise<unknown>>();
  const stepFunctions = createLocalStepFunctions({
    definitions: { run: readFileSync(RUN_DEFINITION, 'utf8') },
    substitutions: LOCAL_SUBSTITUTIONS,
    store: createDynamoDBExecutionStore({ client: db.client, tableName: TABLE_NAMES.executions }),
    timeScale: options.timeScale ?? 1,
    onEvent: (executionArn, event) => {
      options.onExecutionEvent?.(executionArn, event);
      // What EventBridge's execution status change rule does on AWS: no run is left looking alive.
      const status = ENDED_STATUS[event.type];
      if (!status) return;
      // The execution's name: the recorder finds the run from it, as from EventBridge's `detail.name` on AWS.
      const runId = executionArn.slice(executionArn.lastIndexOf(':') + 1);
      const recorder = agents[LOCAL_SUBSTITUTIONS.RunRecorderFunctionArn];
      if (!recorder) return;
      // Tracked, so close() lets it finish: it may be the one that tells the operator.
      const recording = recorder({
        op: 'execution-ended',
        runId,
        status,
        error: event.details.error,
        cause: event.details.cause,
      })
        .catch((error: unknown) =>
          logger.error('could not record the end of an execution', { runId, error: error as Error }),
        )
        .finally(() => endRecordings.delete(recording));
      endRecordings.add(recording);
    },
    resources: {
      async invokeLambda(functionName, payload) {
        const agent = agents[functionName];
        if (!agent)
          throw Object.assign(new Error(`no local function ${functionName}`), {
            name: 'Lambda.ResourceNotFoundException',
          });
        return agent(payload);
      },
      async sendMessage(queueUrl, body) {
        if (queueUrl !== LOCAL_SUBSTITUTIONS.ActionQueueUrl) throw new Error(`no local queue at ${queueUrl}`);
        return {
          MessageId: await queue.send(ACTION_QUEUE, typeof body === 'string' ? body : JSON.stringify(body)),
        };
      },
    },
  });

  const directCallbacks: OrchestratorCallbacks = {
    taskSucceeded: (token, output) => stepFunctions.sendTaskSuccess(token, JSON.stringify(output)),
    taskFailed: (token, error, cause) => stepFunctions.sendTaskFailure(token, error, cause),
  };
  const callbacks = faults.callbacks(options.decorateCallbacks?.(directCallbacks) ?? directCallbacks);
  const executionArnFor = (runId: string) => `arn:aws:states:local:${ACCOUNT}:execution:run:${runId}`;
  const orchestrator: Orchestrator = {
    async startRun(runId, executionName = runId) {
      // A second start with the same input returns the execution; a recovery pass may start twice.
      try {
        await stepFunctions.startExecution({
          stateMachineName: 'run',
          name: executionName,
          input: { runId },
        });
      } catch (error) {
        if ((error as Error).name !== 'ExecutionAlreadyExists') throw error;
      }
    },
    async stopRun(executionName, reason) {
      try {
        await stepFunctions.stopExecution(executionArnFor(executionName), reason);
      } catch (error) {
        if ((error as Error).name !== 'ExecutionDoesNotExist') throw error;
      }
    },
    async execution(runId) {
      try {
        const { status, error, cause } = await stepFunctions.describeExecution(executionArnFor(runId));
        return { status, ...(error ? { error } : {}), ...(cause ? { cause } : {}) };
      } catch (error) {
        if ((error as Error).name === 'ExecutionDoesNotExist') return undefined;
        throw error;
      }
    },
    async history(runId) {
      try {
        const events = await stepFunctions.getExecutionHistory(executionArnFor(runId));
        return events.map((event) => ({
          id: event.id,
          timestamp: event.timestamp,
          type: event.type,
          ...(event.details.stateName ? { stateName: event.details.stateName } : {}),
          ...(event.details.error ? { error: event.details.error } : {}),
          ...(event.details.cause ? { cause: event.details.cause } : {}),
        }));
      } catch (error) {
        if ((error as Error).name === 'ExecutionDoesNotExist') return [];
        throw error;
      }
    },
  };

  // One breaker (and bucket) per store: the gateway trips it, `aios connectors` shows it.
  const breaker = createDynamoDBCircuitBreaker({ client: db.client, tableName: TABLE_NAMES.state });
  const { connectors, handler: gatewayHandler } = createGateway({
    store,
    transports: {
      fetch: options.fetchImpl,
      credentials: localCredentials(options.dataDir ?? outboxDir),
      email: { transport: emailOutbox, from: LOCAL_FROM },
      slack: slackOutbox,
    },
    decorateConnectors: faults.catalogue,
    callbacks,
    clock,
    signer,
    limiter: createDynamoDBRateLimiter({ client: db.client, tableName: TABLE_NAMES.state }),
    breaker,
    limitsOf: options.limitsOf,
    persistenceStore: new DynamoDBPersistenceLayer({
      tableName: TABLE_NAMES.idempotency,
      awsSdkV3Client: db.client,
    }),
  });
  // Actions the previous process held when it stopped come back now, not after their visibility timeout.
  await queue.releaseInFlight(ACTION_QUEUE);
  const worker: QueueWorker = startQueueWorker({
    queue,
    queueName: ACTION_QUEUE,
    // As the CDK stack's event source mapping: small batches, so each invocation ends well within its timeout.
    batchSize: 5,
    handler: gatewayHandler,
    pollIntervalMs: options.pollIntervalMs ?? 100,
    // The function timeout is left to the worker: a sixth of the visibility, as the CDK stack sets.
    onError: options.onWorkerError,
  });

  const deadLetters: DeadLetters = {
    async list(limit) {
      const messages = await queue.list(ACTION_DLQ);
      return messages
        .slice(0, limit)
        .map((m) => describeDeadLetter(m.messageId, m.body, m.receiveCount, new Date(m.sentTimestamp)));
    },
    async redrive() {
      return { moved: await queue.redrive(ACTION_DLQ) };
    },
  };
  // Approval gates: one record per paused step, decided from Slack, an email link, the API or the CLI.
  const secret = (name: string) =>
    options.dataDir ? ensureLocalSecret(options.dataDir, name) : randomBytes(32).toString('hex');
  const linkTokens = createLinkTokens({ getKey: async () => secret('link-key'), clock });
  const slackSigningSecret = secret('slack-signing-secret');
  const approvals = createApprovals({
    approvals: faults.approvalStore(
      createDynamoDBApprovalStore({ client: db.client, tableName: TABLE_NAMES.state }),
    ),
    store,
    catalog,
    operatorPolicy: options.operatorPolicy ?? shippedOperatorPolicy,
    callbacks,
    clock,
    isClosedToken: isClosedTaskToken,
    onDecided: (approval) => trust.fromApproval(approval),
    channels: {
      slack: { transport: slackOutbox, channel: '#aios-approvals', clock },
      // The server's address is known only once it listens.
      email: {
        transport: emailOutbox,
        from: LOCAL_FROM,
        publicBaseUrl: () => publicBaseUrl,
        mint: linkTokens.mint,
      },
      onLink: options.onApprovalLink,
    },
  });
  invoke(LOCAL_SUBSTITUTIONS.ApprovalFunctionArn, createApprovalHandler(approvals));
  const handoffs = createHandoffs({
    handoffs: handoffStore,
    store,
    catalog,
    clock,
    callbacks,
    isClosedToken: isClosedTaskToken,
  });
  const slackInteractions = createSlackInteractionRoutes({
    approvals,
    signingSecret: async () => slackSigningSecret,
    slack: slackInteractionClient(slackOutbox),
    clock,
    logger: {
      info: (message, attributes) => logger.info(message, attributes ?? {}),
      warn: (message, attributes) => logger.warn(message, attributes ?? {}),
      error: (message, attributes) => logger.error(message, attributes ?? {}),
    },
  });
  const approvalLinks = createApprovalLinkRoutes({
    approvals,
    verify: linkTokens.verify,
    uses: createDynamoDBLinkTokenUses({ client: db.client, tableName: TABLE_NAMES.state }),
    clock,
  });
  // What a crash strands (a decided approval its run never heard of, a run never started).
  const recovery = createRecoveryService({ approvals, handoffs, runs: store, orchestrator, clock });
  // What EventBridge Scheduler does on AWS: reminders, escalation emails and expiry, when due,
  // and the recovery sweep. One pass at a time: a slow pass is not overtaken by the next tick.
  let passRunning = false;
  const escalation = setInterval(() => {
    if (passRunning) return;
    passRunning = true;
    void Promise.all([
      approvals
        .escalate()
        .catch((error: unknown) => logger.error('approval escalation failed', { error: error as Error })),
      recovery
        .sweep()
        .catch((error: unknown) => logger.error('recovery sweep failed', { error: error as Error })),
    ]).finally(() => {
      passRunning = false;
    });
  }, options.escalationIntervalMs ?? 30_000);
  escalation.unref();

  // The registry: on first start it gets the shipped playbooks and policy; later pushes win.
  const playbooks = createPlaybooks({
    store: createDynamoDBPlaybookStore({ client: db.client, tableName: TABLE_NAMES.state }),
    clock,
  });
  await seedRegistry(playbooks, options.operatorPolicy ?? shippedOperatorPolicy);
  // Schedules and webhooks start runs through the same path as POST /runs.
  const runPorts = {
    store,
    catalog,
    orchestrator: options.decorateOrchestrator?.(orchestrator) ?? orchestrator,
    claims: createDynamoDBRunStartClaims({ client: db.client, tableName: TABLE_NAMES.state }),
    clock,
    modes: trust,
  };
  const tables = { client: db.client, tableName: TABLE_NAMES.state };
  const schedulerClock = options.schedulerClock ?? systemAslClock;
  const fires = createScheduleFiresService({
    ...runPorts,
    clock: { now: () => new Date(schedulerClock.now()) },
    schedules: createDynamoDBScheduleStore(tables),
    apiUrl: () => publicBaseUrl,
  });
  const hookSecrets = localWebhookSecrets(options.dataDir ?? outboxDir);
  hookSecrets.ensureAll(catalog);
  const hooks = createWebhookTriggerService({
    ...runPorts,
    events: createDynamoDBWebhookEvents(tables),
    secrets: hookSecrets,
  });

  const apiRoutes = createApiHandlers({
    ...runPorts,
    playbooks,
    schedules: fires,
    memory,
    deadLetters,
    approvals,
    handoffs,
    runControl: { approvals, handoffs: handoffStore },
    trust,
    connectors: () => connectorStatuses(breaker, clock.now()),
  });
  const apiToken = options.dataDir ? ensureApiToken(options.dataDir) : randomBytes(32).toString('hex');
  const httpLog = {
    error: (message: string, attributes?: Record<string, unknown>) => logger.error(message, attributes ?? {}),
  };
  const consoleApp = createLocalConsoleApp({
    store,
    catalog,
    orchestrator,
    claims: createDynamoDBRunStartClaims({ client: db.client, tableName: TABLE_NAMES.state }),
    clock,
    approvals,
    auth: createConsoleAuth({
      apiToken,
      sessionSecret: options.dataDir
        ? ensureLocalSecret(options.dataDir, 'console-session-secret')
        : randomBytes(32).toString('hex'),
      clock,
      // Loopback only: every client is this machine, so the login slow-down counts them as one.
      clientKey: () => 'local',
    }),
  });
  const app = createLocalHttpApp(
    {
      ...apiRoutes,
      ...approvalLinks,
      ...slackInteractions,
      ...createHookRoutes({ hooks }),
      ...createWebhookSink(outboxDir),
    },
    { before: localEdge(apiToken, httpLog), console: consoleApp },
  );
  const http: LocalHttpServer = await startLocalHttpServer({
    port: options.port,
    host: '127.0.0.1',
    fetch: app.fetch,
    logger: httpLog,
  });

  publicBaseUrl = http.url;

  // Everything that was running when the last process stopped goes on from its checkpoint;
  // then what it left half-done: decisions its runs never heard of, runs it never started.
  await stepFunctions.resumeAll();
  await recovery
    .sweep(AT_START_UP)
    .catch((error: unknown) => logger.error('recovery at start-up failed', { error: error as Error }));
  // After recovery, so a fire's run finds the store as the last process left it.
  const scheduler = await startLocalScheduler({
    catalog,
    fires,
    cursors: createDynamoDBSchedulerCursors(tables),
    clock: schedulerClock,
    onError: (message, error, context) => logger.error(message, { ...context, error: error as Error }),
  });

  return {
    url: http.url,
    apiToken,
    store,
    stepFunctions,
    queue,
    db,
    memory,
    connectors,
    executionArnFor,
    approvals,
    handoffs,
    slackSigningSecret,
    routes: ROUTES.map(({ method, path, auth }) => ({ method, path, public: auth !== 'operator' })),
    escalate: () => approvals.escalate(),
    schedules: scheduler,
    async close() {
      clearInterval(escalation);
      await http.close();
      await scheduler.close();
      await worker.stop();
      await stepFunctions.close();
      await Promise.allSettled([...endRecordings]);
      await memory.close();
      await db.close();
    },
  };
}

/** Pushes each shipped playbook the registry has no version of yet, and the policy if none is there. */
async function seedRegistry(playbooks: ReturnType<typeof createPlaybooks>, policy: OperatorPolicy) {
  const present = new Set((await playbooks.list()).map((p) => p.workflow.name));
  for (const raw of SHIPPED_PLAYBOOKS) {
    const name = (raw as { name: string }).name;
    if (!present.has(name)) await playbooks.push(raw, 'seed');
  }
  await playbooks.policy().catch((error: unknown) => {
    if (!(error instanceof NotFoundError)) throw error;
    return playbooks.pushPolicy(policy, 'seed');
  });
}
