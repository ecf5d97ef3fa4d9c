import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createRegistryCatalog, createTrust } from '../../app.ts';
import { systemClock } from '../system-clock.ts';
import { createDynamoDBPlaybookStore } from './dynamodb-playbook-store.ts';
import { createDynamoDBRunStartClaims } from './dynamodb-run-start-claims.ts';
import { createDynamoDBStateStore } from './dynamodb-state-store.ts';
import { createDynamoDBTrustStore } from './dynamodb-trust-store.ts';
import { sfnClient } from './sfn-client.ts';
import { createStepFunctionsOrchestrator } from './step-functions.ts';

/**
 * What a Lambda that starts runs by itself (webhooks, schedules) starts them with, on AWS: the
 * state table, the registry's catalogue, the operator's mode per workflow and the run machine.
 */
export function awsRunStartPorts(
  tables: { client: DynamoDBClient; tableName: string },
  stateMachineArn: string,
) {
  const store = createDynamoDBStateStore(tables);
  const catalog = createRegistryCatalog({ store: createDynamoDBPlaybookStore(tables) });
  return {
    store,
    // A run starts in the mode the operator set (aios promote / demote), else the playbook's.
    modes: createTrust({ trust: createDynamoDBTrustStore(tables), store, catalog, clock: systemClock }),
    catalog,
    orchestrator: createStepFunctionsOrchestrator(sfnClient(), stateMachineArn),
    claims: createDynamoDBRunStartClaims(tables),
    clock: systemClock,
  };
}
