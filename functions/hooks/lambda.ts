import { dynamodbClient } from '../adapters/aws/clients.ts';
import { createDynamoDBWebhookEvents } from '../adapters/aws/dynamodb-triggers.ts';
import { awsRunStartPorts } from '../adapters/aws/run-start-ports.ts';
import { secretsManagerWebhookSecrets } from '../adapters/aws/secrets-manager-webhook-secrets.ts';
import { createHooksApp, createWebhookTriggerService } from '../app.ts';
import { requireEnv } from '../shared/config.ts';
import { httpLambdaHandler } from '../shared/http-lambda.ts';

const env = requireEnv(['STATE_TABLE', 'STATE_MACHINE_ARN', 'HOOK_SECRET_PREFIX']);
const tables = { client: dynamodbClient(), tableName: env.STATE_TABLE };

/** `POST /hooks/{playbook}`: public, so the signature over the raw body is checked before anything else. */
export const handler = httpLambdaHandler(
  createHooksApp(
    createWebhookTriggerService({
      ...awsRunStartPorts(tables, env.STATE_MACHINE_ARN),
      events: createDynamoDBWebhookEvents(tables),
      secrets: secretsManagerWebhookSecrets({ prefix: env.HOOK_SECRET_PREFIX }),
    }),
  ),
);
