import { bedrockClient } from '../adapters/aws/bedrock-client.ts';
import { createBedrockModel } from '../adapters/aws/bedrock-model.ts';
import { createDynamoDBReplayStore } from '../adapters/aws/dynamodb-replay-store.ts';
import { createDynamoDBScheduleStore } from '../adapters/aws/dynamodb-triggers.ts';
import { createEventBridgePlaybookSchedules } from '../adapters/aws/eventbridge-playbook-schedules.ts';
import { schedulerClient } from '../adapters/aws/scheduler-client.ts';
import { systemClock } from '../adapters/system-clock.ts';
import { createApiApp, createReplayService, createScheduleFiresService } from '../app.ts';
import { requireEnv } from '../shared/config.ts';
import { httpLambdaHandler } from '../shared/http-lambda.ts';
import { awsOperatorPorts } from './aws-operator-ports.ts';

const env = requireEnv([
  'AIOS_API_URL',
  'SCHEDULE_GROUP',
  'SCHEDULE_TARGET_ARN',
  'SCHEDULER_ROLE_ARN',
  'SCHEDULE_DLQ_ARN',
  'MODEL_FAST_ID',
  'MODEL_SLOW_ID',
]);
const ports = awsOperatorPorts({
  // A pushed playbook's schedule is created, changed or deleted at push time: no deploy.
  schedules: createEventBridgePlaybookSchedules({
    client: schedulerClient(),
    groupName: env.SCHEDULE_GROUP,
    targetArn: env.SCHEDULE_TARGET_ARN,
    roleArn: env.SCHEDULER_ROLE_ARN,
    deadLetterArn: env.SCHEDULE_DLQ_ARN,
  }),
});

export const handler = httpLambdaHandler(
  createApiApp({
    ...ports.runPorts,
    schedules: createScheduleFiresService({
      ...ports.runPorts,
      schedules: createDynamoDBScheduleStore({ client: ports.dynamodb, tableName: ports.stateTable }),
      apiUrl: env.AIOS_API_URL,
    }),
    memory: ports.memory,
    deadLetters: ports.deadLetters,
    // The operator's inbox decides through the same service as Slack and the links: first decision wins.
    approvals: ports.approvals,
    handoffs: ports.handoffs,
    connectors: ports.connectors,
    // A cancel stops the execution (states:StopExecution) and withdraws what the run waits on.
    runControl: { approvals: ports.approvals, handoffs: ports.handoffStore },
    trust: ports.trust,
    playbooks: ports.playbooks,
    // Replays read the run, its journal and the entities' history, and write their record under
    // REPLAY#<runId> (grantReadAppend covers both). `--model current` asks the run's models again
    // (the planner's two, granted to this function too) within API Gateway's 29 s.
    replay: createReplayService({
      store: ports.runPorts.store,
      catalog: ports.runPorts.catalog,
      clock: systemClock,
      operatorPolicy: ports.playbooks.policy,
      replays: createDynamoDBReplayStore({ client: ports.dynamodb, tableName: ports.stateTable }),
      model: createBedrockModel({
        client: bedrockClient(),
        models: { fast: env.MODEL_FAST_ID, slow: env.MODEL_SLOW_ID },
      }),
      memory: ports.memory.service,
    }),
  }),
);
