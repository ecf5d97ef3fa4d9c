import { dynamodbClient } from '../adapters/aws/clients.ts';
import { createDynamoDBPlaybookStore } from '../adapters/aws/dynamodb-playbook-store.ts';
import { systemClock } from '../adapters/system-clock.ts';
import { createPlaybooks } from '../app.ts';
import { requireEnv } from '../shared/config.ts';
import { createRegistrySeedHandler } from './seed-handler.ts';

const env = requireEnv(['STATE_TABLE']);

export const handler = createRegistrySeedHandler(
  createPlaybooks({
    store: createDynamoDBPlaybookStore({ client: dynamodbClient(), tableName: env.STATE_TABLE }),
    clock: systemClock,
  }),
);
