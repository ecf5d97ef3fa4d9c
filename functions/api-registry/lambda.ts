import { createDynamoDBPlaybookStore } from '../adapters/aws/dynamodb-playbook-store.ts';
import { createDynamoDBScheduleStore } from '../adapters/aws/dynamodb-triggers.ts';
import { createEventBridgePlaybookSchedules } from '../adapters/aws/eventbridge-playbook-schedules.ts';
import { schedulerClient } from '../adapters/aws/scheduler-client.ts';
import { systemClock } from '../adapters/system-clock.ts';
import { awsOperatorPorts } from '../api/aws-operator-ports.ts';
import { createApiFunctionApp, createPlaybooks, createScheduleFiresService } from '../app.ts';
import { requireEnv } from '../shared/config.ts';
import { httpLambdaHandler } from '../shared/http-lambda.ts';

const env = requireEnv([
  'AIOS_API_URL',
  'SCHEDULE_GROUP',
  'SCHEDULE_TARGET_ARN',
  'SCHEDULER_ROLE_ARN',
  'SCHEDULE_DLQ_ARN',
]);
const ports = awsOperatorPorts();

/**
 * The API's registry: playbooks and the operator policy (list, show, push, diff) and the scheduled
 * playbooks (list, pause, resume, fire now). The only API function that checks a playbook in full.
 */
export const handler = httpLambdaHandler(
  createApiFunctionApp(['api-registry'], {
    ...ports.runPorts,
    playbooks: createPlaybooks({
      store: createDynamoDBPlaybookStore({ client: ports.dynamodb, tableName: ports.stateTable }),
      clock: systemClock,
      // A pushed playbook's schedule is created, changed or deleted at push time: no deploy.
      schedules: createEventBridgePlaybookSchedules({
        client: schedulerClient(),
        groupName: env.SCHEDULE_GROUP,
        targetArn: env.SCHEDULE_TARGET_ARN,
        roleArn: env.SCHEDULER_ROLE_ARN,
        deadLetterArn: env.SCHEDULE_DLQ_ARN,
      }),
    }),
    schedules: createScheduleFiresService({
      ...ports.runPorts,
      schedules: createDynamoDBScheduleStore({ client: ports.dynamodb, tableName: ports.stateTable }),
      apiUrl: env.AIOS_API_URL,
    }),
  }),
);
