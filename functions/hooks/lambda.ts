import { dynamodbClient, sfnClient } from '../adapters/aws/clients.ts';
import { createDynamoDBPlaybookStore } from '../adapters/aws/dynamodb-playbook-store.ts';
import { createDynamoDBRunStartClaims } from '../adapters/aws/dynamodb-run-start-claims.ts';
import { createDynamoDBStateStore } from '../adapters/aws/dynamodb-state-store.ts';
import { createDynamoDBWebhookEvents } from '../adapters/aws/dynamodb-triggers.ts';
import { createDynamoDBTrustStore } from '../adapters/aws/dynamodb-trust-store.ts';
import { secretsManagerWebhookSecrets } from '../adapters/aws/secrets-manager-webhook-secrets.ts';
import { createStepFunctionsOrchestrator } from '../adapters/aws/step-functions.ts';
import { systemClock } from '../adapters/system-clock.ts';
import { createHooksApp, createRegistryCatalog, createTrust, createWebhookTriggerService } from '../app.ts';
import { requireEnv } from '../shared/config.ts';
import { httpLambdaHandler } from '../shared/http-lambda.ts';

const env = requireEnv(['STATE_TABLE', 'STATE_MACHINE_ARN', 'HOOK_SECRET_PREFIX']);
const tables = { client: dynamodbClient(), tableName: env.STATE_TABLE };
const store = createDynamoDBStateStore(tables);
const catalog = createRegistryCatalog({ store: createDynamoDBPlaybookStore(tables), clock: systemClock });

/** `POST /hooks/{playbook}`: public, so the signature over the raw body is checked before anything else. */
export const handler = httpLambdaHandler(
  createHooksApp(
    createWebhookTriggerService({
      store,
      // An event starts its run in the mode the operator set (aios promote / demote), else the playbook's.
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
      events: createDynamoDBWebhookEvents(tables),
      secrets: secretsManagerWebhookSecrets({ prefix: env.HOOK_SECRET_PREFIX }),
    }),
  ),
);
