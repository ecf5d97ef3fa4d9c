import { dynamodbClient } from '../adapters/aws/clients.ts';
import { createDynamoDBStateStore } from '../adapters/aws/dynamodb-state-store.ts';
import { grantKeyFromSecret } from '../adapters/aws/grant-key.ts';
import { systemClock } from '../adapters/system-clock.ts';
import { createExecutor } from '../app.ts';
import { createHmacGrantSigner } from '../core/capability.ts';
import { requireEnv } from '../shared/config.ts';
import { shippedCatalog, shippedOperatorPolicy } from '../shipped-playbooks.ts';

const env = requireEnv(['STATE_TABLE', 'GRANT_KEY_SECRET']);

export const handler = createExecutor({
  store: createDynamoDBStateStore({ client: dynamodbClient(), tableName: env.STATE_TABLE }),
  catalog: shippedCatalog,
  clock: systemClock,
  operatorPolicy: shippedOperatorPolicy,
  signer: createHmacGrantSigner(grantKeyFromSecret(env.GRANT_KEY_SECRET)),
});
