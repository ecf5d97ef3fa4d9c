import { dynamodbClient } from '../adapters/aws/clients.ts';
import { createDynamoDBStateStore } from '../adapters/aws/dynamodb-state-store.ts';
import { awsMemoryFromEnv } from '../adapters/aws/memory.ts';
import { operatorAlertsFromEnv } from '../adapters/aws/operator-alerts-from-env.ts';
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
  // A failed run tells the operator once: Slack when its channel is set, else email to the alert address.
  alerts: operatorAlertsFromEnv(dynamodb, env.STATE_TABLE),
});
