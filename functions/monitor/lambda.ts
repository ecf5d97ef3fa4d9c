import { dynamodbClient } from '../adapters/aws/clients.ts';
import { createDynamoDBStateStore } from '../adapters/aws/dynamodb-state-store.ts';
import { systemClock } from '../adapters/system-clock.ts';
import { createMonitor } from '../app.ts';
import { requireEnv } from '../shared/config.ts';

const env = requireEnv(['STATE_TABLE']);

export const handler = createMonitor({
  store: createDynamoDBStateStore({ client: dynamodbClient(), tableName: env.STATE_TABLE }),
  clock: systemClock,
});
