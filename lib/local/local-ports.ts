import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { getConnInfo } from '@hono/node-server/conninfo';
import { createDynamoDBAlertMarks } from '../../functions/adapters/aws/dynamodb-alert-marks.ts';
import { createDynamoDBApprovalStore } from '../../functions/adapters/aws/dynamodb-approval-store.ts';
import { createDynamoDBCircuitBreaker } from '../../functions/adapters/aws/dynamodb-circuit-breaker.ts';
import { createDynamoDBHandoffStore } from '../../functions/adapters/aws/dynamodb-handoff-store.ts';
import { createDynamoDBLinkTokenUses } from '../../functions/adapters/aws/dynamodb-link-uses.ts';
import { createDynamoDBPlaybookStore } from '../../functions/adapters/aws/dynamodb-playbook-store.ts';
import { createDynamoDBRateLimiter } from '../../functions/adapters/aws/dynamodb-rate-limiter.ts';
import { createDynamoDBReplayStore } from '../../functions/adapters/aws/dynamodb-replay-store.ts';
import { createDynamoDBRunStartClaims } from '../../functions/adapters/aws/dynamodb-run-start-claims.ts';
import {
  createDynamoDBScheduleStore,
  createDynamoDBWebhookEvents,
} from '../../functions/adapters/aws/dynamodb-triggers.ts';
import { createDynamoDBTrustStore } from '../../functions/adapters/aws/dynamodb-trust-store.ts';
import { localCredentials } from '../../functions/adapters/local/credentials.ts';
import { createEmailOutbox } from '../../functions/adapters/local/email-outbox.ts';
import { createLocalDeadLetters } from '../../functions/adapters/local/local-dead-letters.ts';
import {
  createLocalCallbacks,
  createLocalOrchestrator,
} from '../../functions/adapters/local/local-step-functions.ts';
import { createSlackOutbox } from '../../functions/adapters/local/slack-outbox.ts';
import type { AiosPorts } from '../../functions/app.ts';
import { consoleClientKey } from '../../functions/console/client-key.ts';
import type {
  Clock,
  ModelPort,
  PlaybookSchedules,
  StateStore,
  WorkflowCatalog,
} from '../../functions/core/ports.ts';
import { logger } from '../../functions/shared/powertools.ts';
import { shippedOperatorPolicy } from '../../functions/shipped-playbooks.ts';
import type { LocalStepFunctions } from './asl/index.ts';
import type { Faults } from './faults.ts';
import { localWebhookSecrets } from './hook-secrets.ts';
import { ensureApiToken, ensureLocalSecret, localEdge } from './http/index.ts';
import type { LocalMemory } from './memory.ts';
import { type LocalQueue, releaseRecordsTo } from './queue/index.ts';
import { executionArnFor } from './run-machine.ts';
import { ACTION_DLQ, type LocalRuntimeOptions } from './runtime-options.ts';
import { TABLE_NAMES } from './table-definitions.ts';
import { createWebhookSink } from './webhook-sink.ts';

const LOCAL_FROM = 'aios@localhost';

/**
 * The local adapters aios is built from: the same DynamoDB adapters as on AWS over the embedded
 * store, the interpreter and queue behind the orchestrator and dead-letter ports, the outbox for
 * email and Slack, and keys as generated files under .aios/ (Secrets Manager on AWS).
 */
export function localPorts(
  options: LocalRuntimeOptions,
  standIns: {
    client: DynamoDBClient;
    store: StateStore;
    catalog?: WorkflowCatalog;
    model: ModelPort;
    memory: LocalMemory;
    queue: Pick<LocalQueue, 'list' | 'redrive' | 'changeVisibility'>;
    stepFunctions: LocalStepFunctions;
    clock: Clock;
    scheduleClock: Clock;
    outboxDir: string;
    faults: Faults;
    publicBaseUrl: () => string;
    /** The local scheduler, once started: a pushed playbook's schedule is taken up at once. */
    playbookSchedules: PlaybookSchedules;
  },
) {
  const { dataDir } = options;
  const { client, clock, outboxDir, faults, catalog } = standIns;
  const tables = { client, tableName: TABLE_NAMES.state };
  // Fresh ones in memory when nothing is kept (tests).
  const secret = (name: string) =>
    dataDir ? ensureLocalSecret(dataDir, name) : randomBytes(32).toString('hex');
  const apiToken = dataDir ? ensureApiToken(dataDir) : randomBytes(32).toString('hex');
  const [grantKey, linkKey, slackSigningSecret] = ['grant-key', 'link-key', 'slack-signing-secret'].map(
    secret,
  );
  const webhookSecrets = localWebhookSecrets(dataDir ?? outboxDir);
  const callbacks = createLocalCallbacks(standIns.stepFunctions);
  const ports: AiosPorts = {
    clock,
    store: standIns.store,
    catalog,
    operatorPolicy: options.operatorPolicy ?? shippedOperatorPolicy,
    playbookSchedules: standIns.playbookSchedules,
    model: standIns.model,
    memory: standIns.memory,
    orchestrator: createLocalOrchestrator(standIns.stepFunctions, executionArnFor),
    callbacks: faults.callbacks(options.decorateCallbacks?.(callbacks) ?? callbacks),
    taskWaits: { waitingTask: (runId) => standIns.stepFunctions.waitingTask(executionArnFor(runId)) },
    deadLetters: createLocalDeadLetters(standIns.queue, ACTION_DLQ),
    releaseUntouched: releaseRecordsTo(standIns.queue),
    stores: {
      approvals: faults.approvalStore(createDynamoDBApprovalStore(tables)),
      handoffs: createDynamoDBHandoffStore(tables),
      alertMarks: createDynamoDBAlertMarks(tables),
      // One breaker (and bucket) per store: the gateway trips it, `aios connectors` shows it.
      breaker: createDynamoDBCircuitBreaker(tables),
      limiter: createDynamoDBRateLimiter(tables),
      idempotency: new DynamoDBPersistenceLayer({
        tableName: TABLE_NAMES.idempotency,
        awsSdkV3Client: client,
      }),
      claims: createDynamoDBRunStartClaims(tables),
      schedules: createDynamoDBScheduleStore(tables),
      webhookEvents: createDynamoDBWebhookEvents(tables),
      trust: createDynamoDBTrustStore(tables),
      replays: createDynamoDBReplayStore(tables),
      playbooks: createDynamoDBPlaybookStore(tables),
      linkUses: createDynamoDBLinkTokenUses(tables),
    },
    webhookSecrets,
    keys: {
      grant: async () => grantKey as string,
      link: async () => linkKey as string,
      slackSigning: async () => slackSigningSecret as string,
      consoleSession: secret('console-session-secret'),
      apiToken,
    },
    // Email and Slack land in the outbox: .eml files and JSON payloads the operator can open.
    transports: {
      fetch: options.fetchImpl,
      credentials: localCredentials(dataDir ?? outboxDir),
      email: { transport: createEmailOutbox({ dir: join(outboxDir, 'email'), clock }), from: LOCAL_FROM },
      slack: createSlackOutbox({ dir: join(outboxDir, 'slack'), clock }),
    },
    channels: {
      approvalsSlack: '#aios-approvals',
      alerts: options.operatorAlerts ?? { slackChannel: '#aios-alerts' },
    },
    publicBaseUrl: standIns.publicBaseUrl,
    scheduleClock: standIns.scheduleClock,
    http: {
      before: localEdge(apiToken, {
        error: (message, attributes) => logger.error(message, attributes ?? {}),
      }),
      localRoutes: createWebhookSink(outboxDir),
      // Each client address is slowed down on its own; X-Forwarded-For only behind trusted proxies.
      clientKey: consoleClientKey({
        peer: (c) => getConnInfo(c).remote.address,
        trustedProxies: options.trustedProxies,
      }),
    },
    settings: {
      modelRetry: options.modelRetry,
      limitsOf: options.limitsOf,
      onApprovalLink: options.onApprovalLink,
      decorateConnectors: faults.catalogue,
      decorateOrchestrator: options.decorateOrchestrator,
    },
  };
  return { ports, apiToken, slackSigningSecret: slackSigningSecret as string, webhookSecrets };
}
