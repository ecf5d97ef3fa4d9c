import { createBedrockModel } from '../adapters/aws/bedrock-model.ts';
import { bedrockClient, dynamodbClient } from '../adapters/aws/clients.ts';
import { createDynamoDBHandoffStore } from '../adapters/aws/dynamodb-handoff-store.ts';
import { createDynamoDBStateStore } from '../adapters/aws/dynamodb-state-store.ts';
import { awsMemoryFromEnv } from '../adapters/aws/memory.ts';
import { systemClock } from '../adapters/system-clock.ts';
import { createPlanner } from '../app.ts';
import { requireEnv } from '../shared/config.ts';
import { shippedCatalog } from '../shipped-playbooks.ts';

const env = requireEnv(['STATE_TABLE', 'MODEL_FAST_ID', 'MODEL_SLOW_ID']);

const dynamodb = dynamodbClient();

export const handler = createPlanner({
  store: createDynamoDBStateStore({ client: dynamodb, tableName: env.STATE_TABLE }),
  model: createBedrockModel({
    client: bedrockClient(),
    models: { fast: env.MODEL_FAST_ID, slow: env.MODEL_SLOW_ID },
  }),
  catalog: shippedCatalog,
  clock: systemClock,
  memory: awsMemoryFromEnv({ dynamodb, clock: systemClock }).service,
  handoffs: createDynamoDBHandoffStore({ client: dynamodb, tableName: env.STATE_TABLE }),
  // Four calls at most (two per tier) of 20 s each, with their pauses, fit the function's 2 minutes.
  retry: { attempts: 2, baseDelayMs: 1000 },
  callTimeoutMs: 20_000,
});
