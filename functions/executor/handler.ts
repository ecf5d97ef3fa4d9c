import { shippedCatalog, shippedOperatorPolicy } from '../../playbooks/catalog.ts';
import { dynamodbClient } from '../adapters/aws/clients.ts';
import { createDynamoDBStateStore } from '../adapters/aws/dynamodb-state-store.ts';
import { grantKeyFromSecret } from '../adapters/aws/grant-key.ts';
import { systemClock } from '../adapters/system-clock.ts';
import { describeAction } from '../connectors/descriptors.ts';
import { paramsProblem } from '../connectors/param-schemas.ts';
import { createHmacGrantSigner } from '../core/capability.ts';
import { requireEnv } from '../shared/config.ts';
import { createExecutorHandler } from './executor-handler.ts';

const env = requireEnv(['STATE_TABLE', 'GRANT_KEY_SECRET']);

export const handler = createExecutorHandler({
  store: createDynamoDBStateStore({ client: dynamodbClient(), tableName: env.STATE_TABLE }),
  catalog: shippedCatalog,
  clock: systemClock,
  operatorPolicy: shippedOperatorPolicy,
  riskOf: (type) => describeAction(type)?.risk,
  compensationOf: (type) => describeAction(type)?.compensation,
  validateParams: paramsProblem,
  signer: createHmacGrantSigner(grantKeyFromSecret(env.GRANT_KEY_SECRET)),
});
