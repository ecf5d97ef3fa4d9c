import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { dynamodbClient, sfnClient } from '../adapters/aws/clients.ts';
import { createDynamoDBStateStore } from '../adapters/aws/dynamodb-state-store.ts';
import { createStepFunctionsCallbacks } from '../adapters/aws/step-functions.ts';
import { systemClock } from '../adapters/system-clock.ts';
import { httpRequestConnector } from '../connectors/http-request.ts';
import { stateUpsertConnector } from '../connectors/state-upsert.ts';
import { catalogueOf } from '../core/connector.ts';
import { requireEnv } from '../shared/config.ts';
import { createGatewayHandler } from './gateway-handler.ts';

const env = requireEnv(['STATE_TABLE', 'IDEMPOTENCY_TABLE']);
const dynamodb = dynamodbClient();
const store = createDynamoDBStateStore({ client: dynamodb, tableName: env.STATE_TABLE });

export const handler = createGatewayHandler({
  store,
  connectors: catalogueOf([stateUpsertConnector(store), httpRequestConnector()]),
  callbacks: createStepFunctionsCallbacks(sfnClient()),
  clock: systemClock,
  persistenceStore: new DynamoDBPersistenceLayer({
    tableName: env.IDEMPOTENCY_TABLE,
    awsSdkV3Client: dynamodb,
  }),
});
