import { dynamodbClient } from '../adapters/aws/clients.ts';
import { createDynamoDBCircuitBreaker } from '../adapters/aws/dynamodb-circuit-breaker.ts';
import { createDynamoDBHandoffStore } from '../adapters/aws/dynamodb-handoff-store.ts';
import { createDynamoDBPlaybookStore } from '../adapters/aws/dynamodb-playbook-store.ts';
import { createDynamoDBRunStartClaims } from '../adapters/aws/dynamodb-run-start-claims.ts';
import { createDynamoDBStateStore } from '../adapters/aws/dynamodb-state-store.ts';
import { createDynamoDBTrustStore } from '../adapters/aws/dynamodb-trust-store.ts';
import { awsMemoryFromEnv } from '../adapters/aws/memory.ts';
import { sesEmailTransport } from '../adapters/aws/ses-email-transport.ts';
import { sfnClient } from '../adapters/aws/sfn-client.ts';
import { sqsClient } from '../adapters/aws/sqs-client.ts';
import { createSqsDeadLetters } from '../adapters/aws/sqs-dead-letters.ts';
import {
  createStepFunctionsCallbacks,
  createStepFunctionsOrchestrator,
} from '../adapters/aws/step-functions.ts';
import { systemClock } from '../adapters/system-clock.ts';
import { createHandoffs, createPlaybooks, createTrust } from '../app.ts';
import { awsApprovals } from '../approvals/aws-approvals.ts';
import { connectorStatuses } from '../connectors/status.ts';
import type { PlaybookSchedules } from '../core/ports.ts';
import { requireEnv } from '../shared/config.ts';

/**
 * What the operator's two front doors on AWS read and steer through: the API (IAM) and the
 * console (Cognito). One set, built once per cold start, so both decide through the same services
 * (an approval decided in the console is the one Slack and the links see: first decision wins).
 */
export function awsOperatorPorts(options: { schedules?: PlaybookSchedules } = {}) {
  const env = requireEnv(['STATE_TABLE', 'STATE_MACHINE_ARN', 'ACTION_DLQ_URL', 'ACTION_DLQ_ARN']);
  const dynamodb = dynamodbClient();
  const sfn = sfnClient();
  const playbooks = createPlaybooks({
    store: createDynamoDBPlaybookStore({ client: dynamodb, tableName: env.STATE_TABLE }),
    clock: systemClock,
    // Only the API pushes playbooks, so only it syncs their EventBridge schedules.
    ...(options.schedules ? { schedules: options.schedules } : {}),
  });
  const catalog = playbooks.catalog();
  const handoffStore = createDynamoDBHandoffStore({ client: dynamodb, tableName: env.STATE_TABLE });
  const store = createDynamoDBStateStore({ client: dynamodb, tableName: env.STATE_TABLE });
  const trust = createTrust({
    trust: createDynamoDBTrustStore({ client: dynamodb, tableName: env.STATE_TABLE }),
    store,
    catalog,
    clock: systemClock,
  });
  const runPorts = {
    store,
    modes: trust,
    catalog,
    orchestrator: createStepFunctionsOrchestrator(sfn, env.STATE_MACHINE_ARN),
    claims: createDynamoDBRunStartClaims({ client: dynamodb, tableName: env.STATE_TABLE }),
    clock: systemClock,
  };
  const approvals = awsApprovals(process.env, { dynamodb, sfn }, { email: sesEmailTransport }).service;
  return {
    dynamodb,
    runPorts,
    playbooks,
    trust,
    approvals,
    handoffStore,
    // Completing a handoff answers the run's task token (states:SendTaskSuccess, as approvals do).
    handoffs: createHandoffs({
      handoffs: handoffStore,
      store,
      catalog,
      clock: systemClock,
      callbacks: createStepFunctionsCallbacks(sfn),
    }),
    // Reindex and consolidation are the maintenance function's jobs on AWS, not the front doors'.
    memory: { service: awsMemoryFromEnv({ dynamodb, clock: systemClock }).service },
    deadLetters: createSqsDeadLetters(sqsClient(), { url: env.ACTION_DLQ_URL, arn: env.ACTION_DLQ_ARN }),
    connectors: () =>
      connectorStatuses(
        createDynamoDBCircuitBreaker({ client: dynamodb, tableName: env.STATE_TABLE }),
        new Date(),
      ),
    stateTable: env.STATE_TABLE,
  };
}
