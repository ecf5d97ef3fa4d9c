import { shippedCatalog } from '../../playbooks/catalog.ts';
import { dynamodbClient, sfnClient } from '../adapters/aws/clients.ts';
import { createDynamoDBStateStore } from '../adapters/aws/dynamodb-state-store.ts';
import { createStepFunctionsOrchestrator } from '../adapters/aws/step-functions.ts';
import { systemClock } from '../adapters/system-clock.ts';
import { requireEnv } from '../shared/config.ts';
import { createApiHandler } from './api-handler.ts';

const env = requireEnv(['STATE_TABLE', 'STATE_MACHINE_ARN']);

export const handler = createApiHandler({
  store: createDynamoDBStateStore({ client: dynamodbClient(), tableName: env.STATE_TABLE }),
  catalog: shippedCatalog,
  orchestrator: createStepFunctionsOrchestrator(sfnClient(), env.STATE_MACHINE_ARN),
  clock: systemClock,
});
