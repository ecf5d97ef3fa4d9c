import { dynamodbClient } from '../adapters/aws/clients.ts';
import { createDynamoDBPlaybookStore } from '../adapters/aws/dynamodb-playbook-store.ts';
import { createDynamoDBStateStore } from '../adapters/aws/dynamodb-state-store.ts';
import { grantKeyFromSecret } from '../adapters/aws/grant-key.ts';
import { awsMemoryWriterFromEnv } from '../adapters/aws/memory-writer.ts';
import { systemClock } from '../adapters/system-clock.ts';
import { createExecutor, readPlaybooks } from '../app.ts';
import { awsDecisions } from '../approvals/aws-decisions.ts';
import { createHmacGrantSigner } from '../core/capability.ts';
import { requireEnv } from '../shared/config.ts';

const env = requireEnv(['STATE_TABLE', 'GRANT_KEY_SECRET']);

const tables = { client: dynamodbClient(), tableName: env.STATE_TABLE };

const playbooks = readPlaybooks({ store: createDynamoDBPlaybookStore(tables) });
const store = createDynamoDBStateStore(tables);
const catalog = playbooks.catalog();

export const handler = createExecutor({
  store,
  catalog,
  clock: systemClock,
  operatorPolicy: playbooks.policy,
  signer: createHmacGrantSigner(grantKeyFromSecret(env.GRANT_KEY_SECRET)),
  // What a public link or Slack click decided is logged here, as the run resumes.
  decisions: awsDecisions({ client: tables.client, tableName: tables.tableName, store, catalog }),
  // Writes only: an approved draft goes to the memory log, the indexer does the rest.
  memory: awsMemoryWriterFromEnv({ dynamodb: tables.client, clock: systemClock }),
});
