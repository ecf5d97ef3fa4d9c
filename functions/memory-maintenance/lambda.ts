import { bedrockClient } from '../adapters/aws/bedrock-client.ts';
import { createBedrockModel } from '../adapters/aws/bedrock-model.ts';
import { dynamodbClient } from '../adapters/aws/clients.ts';
import { awsMemoryFromEnv } from '../adapters/aws/memory.ts';
import { systemClock } from '../adapters/system-clock.ts';
import { createMemoryConsolidator } from '../core/memory/consolidation.ts';
import { requireEnv } from '../shared/config.ts';
import { createMemoryMaintenanceHandler } from './maintenance-handler.ts';

const env = requireEnv(['MODEL_FAST_ID']);
const memory = awsMemoryFromEnv({ dynamodb: dynamodbClient(), clock: systemClock });
// Summaries use the fast tier only; the slow id is never called here.
const model = createBedrockModel({
  client: bedrockClient(),
  models: { fast: env.MODEL_FAST_ID, slow: env.MODEL_FAST_ID },
});

export const handler = createMemoryMaintenanceHandler({
  indexer: memory.indexer,
  consolidator: createMemoryConsolidator({
    log: memory.log,
    memory: memory.service,
    model,
    clock: systemClock,
  }),
});
