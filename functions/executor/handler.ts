import { shippedCatalog } from '../../playbooks/catalog.ts';
import { dynamodbClient } from '../adapters/aws/clients.ts';
import { createDynamoDBStateStore } from '../adapters/aws/dynamodb-state-store.ts';
import { systemClock } from '../adapters/system-clock.ts';
import { requireEnv } from '../shared/config.ts';
import { createExecutorHandler } from './executor-handler.ts';

const env = requireEnv(['STATE_TABLE']);

export const handler = createExecutorHandler({
  store: createDynamoDBStateStore({ client: dynamodbClient(), tableName: env.STATE_TABLE }),
  catalog: shippedCatalog,
  clock: systemClock,
});
