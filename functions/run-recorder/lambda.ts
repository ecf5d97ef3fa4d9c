import { dynamodbClient } from '../adapters/aws/clients.ts';
import { createDynamoDBStateStore } from '../adapters/aws/dynamodb-state-store.ts';
import { awsMemoryFromEnv } from '../adapters/aws/memory.ts';
import { systemClock } from '../adapters/system-clock.ts';
import { requireEnv } from '../shared/config.ts';
import { createRunRecorderHandler } from './run-recorder-handler.ts';

const env = requireEnv(['STATE_TABLE']);

const dynamodb = dynamodbClient();

export const handler = createRunRecorderHandler({
  store: createDynamoDBStateStore({ client: dynamodb, tableName: env.STATE_TABLE }),
  clock: systemClock,
  // Writes only: a run's summary and postmortem go to the memory log, the indexer does the rest.
  memory: awsMemoryFromEnv({ dynamodb, clock: systemClock }).service,
});
