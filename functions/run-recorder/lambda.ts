import { dynamodbClient } from '../adapters/aws/clients.ts';
import { createDynamoDBStateStore } from '../adapters/aws/dynamodb-state-store.ts';
import { awsMemoryFromEnv } from '../adapters/aws/memory.ts';
import { systemClock } from '../adapters/system-clock.ts';
import { createRunRecorder } from '../app.ts';
import { requireEnv } from '../shared/config.ts';

const env = requireEnv(['STATE_TABLE']);

const dynamodb = dynamodbClient();

export const handler = createRunRecorder({
  store: createDynamoDBStateStore({ client: dynamodb, tableName: env.STATE_TABLE }),
  clock: systemClock,
  // Writes only: a run's summary and postmortem go to the memory log, the indexer does the rest.
  memory: awsMemoryFromEnv({ dynamodb, clock: systemClock }).service,
});
