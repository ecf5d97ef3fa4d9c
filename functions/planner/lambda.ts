import { bedrockClient } from '../adapters/aws/bedrock-client.ts';
import { createBedrockModel } from '../adapters/aws/bedrock-model.ts';
import { dynamodbClient } from '../adapters/aws/clients.ts';
import { createDynamoDBHandoffStore } from '../adapters/aws/dynamodb-handoff-store.ts';
import { createDynamoDBPlaybookStore } from '../adapters/aws/dynamodb-playbook-store.ts';
import { createDynamoDBStateStore } from '../adapters/aws/dynamodb-state-store.ts';
import { awsMemoryFromEnv } from '../adapters/aws/memory.ts';
import { operatorAlertsFromEnv } from '../adapters/aws/operator-alerts-from-env.ts';
import { systemClock } from '../adapters/system-clock.ts';
import { createPlanner, createRegistryCatalog } from '../app.ts';
import { requireEnv } from '../shared/config.ts';

const env = requireEnv(['STATE_TABLE', 'MODEL_FAST_ID', 'MODEL_SLOW_ID']);

const dynamodb = dynamodbClient();

export const handler = createPlanner({
  store: createDynamoDBStateStore({ client: dynamodb, tableName: env.STATE_TABLE }),
  model: createBedrockModel({
    client: bedrockClient(),
    models: { fast: env.MODEL_FAST_ID, slow: env.MODEL_SLOW_ID },
  }),
  catalog: createRegistryCatalog({
    store: createDynamoDBPlaybookStore({ client: dynamodb, tableName: env.STATE_TABLE }),
  }),
  clock: systemClock,
  memory: awsMemoryFromEnv({ dynamodb, clock: systemClock }).service,
  handoffs: createDynamoDBHandoffStore({ client: dynamodb, tableName: env.STATE_TABLE }),
  // A handed-off step tells the operator once, on the same channel as a failed run.
  alerts: operatorAlertsFromEnv(dynamodb, env.STATE_TABLE),
  // Four calls at most (two per tier) of 20 s each, with their pauses, fit the function's 2 minutes.
  retry: { attempts: 2, baseDelayMs: 1000 },
  callTimeoutMs: 20_000,
});
