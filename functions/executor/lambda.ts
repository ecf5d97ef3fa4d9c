import { shippedOperatorPolicy } from '../../playbooks/catalog.ts';
import { dynamodbClient } from '../adapters/aws/clients.ts';
import { createDynamoDBPlaybookStore } from '../adapters/aws/dynamodb-playbook-store.ts';
import { createDynamoDBStateStore } from '../adapters/aws/dynamodb-state-store.ts';
import { grantKeyFromSecret } from '../adapters/aws/grant-key.ts';
import { systemClock } from '../adapters/system-clock.ts';
import { createExecutor, createRegistryCatalog } from '../app.ts';
import { createHmacGrantSigner } from '../core/capability.ts';
import { requireEnv } from '../shared/config.ts';

const env = requireEnv(['STATE_TABLE', 'GRANT_KEY_SECRET']);

const tables = { client: dynamodbClient(), tableName: env.STATE_TABLE };

export const handler = createExecutor({
  store: createDynamoDBStateStore(tables),
  catalog: createRegistryCatalog({ store: createDynamoDBPlaybookStore(tables), clock: systemClock }),
  clock: systemClock,
  operatorPolicy: shippedOperatorPolicy,
  signer: createHmacGrantSigner(grantKeyFromSecret(env.GRANT_KEY_SECRET)),
});
