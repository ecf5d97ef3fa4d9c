import { dynamodbClient } from '../adapters/aws/clients.ts';
import { createDynamoDBPlaybookStore } from '../adapters/aws/dynamodb-playbook-store.ts';
import { createDynamoDBStateStore } from '../adapters/aws/dynamodb-state-store.ts';
import { createDynamoDBTrustStore } from '../adapters/aws/dynamodb-trust-store.ts';
import { awsMemoryWriterFromEnv } from '../adapters/aws/memory-writer.ts';
import { operatorAlertsFromEnv } from '../adapters/aws/operator-alerts-from-env.ts';
import { systemClock } from '../adapters/system-clock.ts';
import { createRegistryCatalog, createRunRecorder, createTrust } from '../app.ts';
import { awsDecisions } from '../approvals/aws-decisions.ts';
import { requireEnv } from '../shared/config.ts';

const env = requireEnv(['STATE_TABLE']);

const dynamodb = dynamodbClient();
const store = createDynamoDBStateStore({ client: dynamodb, tableName: env.STATE_TABLE });
const catalog = createRegistryCatalog({
  store: createDynamoDBPlaybookStore({ client: dynamodb, tableName: env.STATE_TABLE }),
});

const trust = createTrust({
  trust: createDynamoDBTrustStore({ client: dynamodb, tableName: env.STATE_TABLE }),
  store,
  catalog,
  clock: systemClock,
});

export const handler = createRunRecorder({
  store,
  // A succeeded run's minutes saved come from the playbook version it ran (TimeSavedMinutes).
  catalog,
  // A finished shadow run opens a review item per proposed action.
  reviews: trust,
  // A rejection a public link or Slack click decided is logged here (and judged), as the run fails on it.
  decisions: awsDecisions({ client: dynamodb, tableName: env.STATE_TABLE, store, catalog, trust }),
  clock: systemClock,
  // Writes only: a run's summary and postmortem go to the memory log, the indexer does the rest.
  memory: awsMemoryWriterFromEnv({ dynamodb, clock: systemClock }),
  // A failed run tells the operator once: Slack when its channel is set, else email to the alert address.
  alerts: operatorAlertsFromEnv(dynamodb, env.STATE_TABLE),
});
