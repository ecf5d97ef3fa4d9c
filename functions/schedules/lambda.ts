import { dynamodbClient } from '../adapters/aws/clients.ts';
import { createDynamoDBScheduleStore } from '../adapters/aws/dynamodb-triggers.ts';
import { awsRunStartPorts } from '../adapters/aws/run-start-ports.ts';
import { createScheduleStart } from '../app.ts';
import { requireEnv } from '../shared/config.ts';

const env = requireEnv(['STATE_TABLE', 'STATE_MACHINE_ARN', 'AIOS_API_URL']);
const tables = { client: dynamodbClient(), tableName: env.STATE_TABLE };

export const handler = createScheduleStart({
  ...awsRunStartPorts(tables, env.STATE_MACHINE_ARN),
  schedules: createDynamoDBScheduleStore(tables),
  apiUrl: env.AIOS_API_URL,
});
