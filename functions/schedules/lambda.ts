import { dynamodbClient, sfnClient } from '../adapters/aws/clients.ts';
import { createDynamoDBPlaybookStore } from '../adapters/aws/dynamodb-playbook-store.ts';
import { createDynamoDBRunStartClaims } from '../adapters/aws/dynamodb-run-start-claims.ts';
import { createDynamoDBStateStore } from '../adapters/aws/dynamodb-state-store.ts';
import { createDynamoDBScheduleStore } from '../adapters/aws/dynamodb-triggers.ts';
import { createDynamoDBTrustStore } from '../adapters/aws/dynamodb-trust-store.ts';
import { createStepFunctionsOrchestrator } from '../adapters/aws/step-functions.ts';
import { systemClock } from '../adapters/system-clock.ts';
import { createRegistryCatalog, createScheduleStart, createTrust } from '../app.ts';
import { requireEnv } from '../shared/config.ts';

const env = requireEnv(['STATE_TABLE', 'STATE_MACHINE_ARN', 'AIOS_API_URL']);
const tables = { client: dynamodbClient(), tableName: env.STATE_TABLE };

const store = createDynamoDBStateStore(tables);
const catalog = createRegistryCatalog({ store: createDynamoDBPlaybookStore(tables), clock: systemClock });

export const handler = createScheduleStart({
  store,
  // A fire starts its run in the mode the operator set (aios promote / demote), else the playbook's.
  modes: createTrust({
    trust: createDynamoDBTrustStore(tables),
    store,
    catalog,
    clock: systemClock,
  }),
  catalog,
  orchestrator: createStepFunctionsOrchestrator(sfnClient(), env.STATE_MACHINE_ARN),
  claims: createDynamoDBRunStartClaims(tables),
  clock: systemClock,
  schedules: createDynamoDBScheduleStore(tables),
  apiUrl: env.AIOS_API_URL,
});
