import { dynamodbClient } from '../adapters/aws/clients.ts';
import { createDynamoDBCircuitBreaker } from '../adapters/aws/dynamodb-circuit-breaker.ts';
import { createDynamoDBHandoffStore } from '../adapters/aws/dynamodb-handoff-store.ts';
import { createDynamoDBPlaybookStore } from '../adapters/aws/dynamodb-playbook-store.ts';
import { createDynamoDBReplayStore } from '../adapters/aws/dynamodb-replay-store.ts';
import { createDynamoDBRunStartClaims } from '../adapters/aws/dynamodb-run-start-claims.ts';
import { createDynamoDBStateStore } from '../adapters/aws/dynamodb-state-store.ts';
import { createDynamoDBScheduleStore } from '../adapters/aws/dynamodb-triggers.ts';
import { createDynamoDBTrustStore } from '../adapters/aws/dynamodb-trust-store.ts';
import { createEventBridgePlaybookSchedules } from '../adapters/aws/eventbridge-playbook-schedules.ts';
import { awsMemoryFromEnv } from '../adapters/aws/memory.ts';
import { schedulerClient } from '../adapters/aws/scheduler-client.ts';
import { sfnClient } from '../adapters/aws/sfn-client.ts';
import { sqsClient } from '../adapters/aws/sqs-client.ts';
import { createSqsDeadLetters } from '../adapters/aws/sqs-dead-letters.ts';
import {
  createStepFunctionsCallbacks,
  createStepFunctionsOrchestrator,
} from '../adapters/aws/step-functions.ts';
import { systemClock } from '../adapters/system-clock.ts';
import {
  createApiApp,
  createHandoffs,
  createPlaybooks,
  createReplayService,
  createScheduleFiresService,
  createTrust,
} from '../app.ts';
import { awsApprovals } from '../approvals/aws-approvals.ts';
import { connectorStatuses } from '../connectors/status.ts';
import { requireEnv } from '../shared/config.ts';
import { httpLambdaHandler } from '../shared/http-lambda.ts';

const env = requireEnv([
  'STATE_TABLE',
  'STATE_MACHINE_ARN',
  'ACTION_DLQ_URL',
  'ACTION_DLQ_ARN',
  'AIOS_API_URL',
  'SCHEDULE_GROUP',
  'SCHEDULE_TARGET_ARN',
  'SCHEDULER_ROLE_ARN',
  'SCHEDULE_DLQ_ARN',
]);

const dynamodb = dynamodbClient();
const sfn = sfnClient();
const playbooks = createPlaybooks({
  store: createDynamoDBPlaybookStore({ client: dynamodb, tableName: env.STATE_TABLE }),
  clock: systemClock,
  // A pushed playbook's schedule is created, changed or deleted at push time: no deploy.
  schedules: createEventBridgePlaybookSchedules({
    client: schedulerClient(),
    groupName: env.SCHEDULE_GROUP,
    targetArn: env.SCHEDULE_TARGET_ARN,
    roleArn: env.SCHEDULER_ROLE_ARN,
    deadLetterArn: env.SCHEDULE_DLQ_ARN,
  }),
});
const catalog = playbooks.catalog();
const handoffStore = createDynamoDBHandoffStore({ client: dynamodb, tableName: env.STATE_TABLE });
const approvals = awsApprovals().service;
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

export const handler = httpLambdaHandler(
  createApiApp({
    ...runPorts,
    schedules: createScheduleFiresService({
      ...runPorts,
      schedules: createDynamoDBScheduleStore({ client: dynamodb, tableName: env.STATE_TABLE }),
      apiUrl: env.AIOS_API_URL,
    }),
    // Reindex and consolidation are the maintenance function's jobs on AWS, not the API's.
    memory: { service: awsMemoryFromEnv({ dynamodb, clock: systemClock }).service },
    deadLetters: createSqsDeadLetters(sqsClient(), { url: env.ACTION_DLQ_URL, arn: env.ACTION_DLQ_ARN }),
    // The operator's inbox decides through the same service as Slack and the links: first decision wins.
    approvals,
    // Completing a handoff answers the run's task token (states:SendTaskSuccess, as approvals do).
    handoffs: createHandoffs({
      handoffs: handoffStore,
      store: runPorts.store,
      catalog,
      clock: systemClock,
      callbacks: createStepFunctionsCallbacks(sfn),
    }),
    connectors: () =>
      connectorStatuses(
        createDynamoDBCircuitBreaker({ client: dynamodb, tableName: env.STATE_TABLE }),
        new Date(),
      ),
    // A cancel stops the execution (states:StopExecution) and withdraws what the run waits on.
    runControl: { approvals, handoffs: handoffStore },
    trust,
    playbooks,
    // Replays read the run, its journal and the entities' history, and write their record under
    // REPLAY#<runId> (grantReadAppend covers both). No model here: on AWS a replay reuses the
    // recorded answers (`--model current` is refused), so the API needs no Bedrock grant.
    replay: createReplayService({
      store,
      catalog,
      clock: systemClock,
      operatorPolicy: playbooks.policy,
      replays: createDynamoDBReplayStore({ client: dynamodb, tableName: env.STATE_TABLE }),
    }),
  }),
);
