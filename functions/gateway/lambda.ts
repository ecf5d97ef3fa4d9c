import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { dynamodbClient, sfnClient } from '../adapters/aws/clients.ts';
import { createDynamoDBCircuitBreaker } from '../adapters/aws/dynamodb-circuit-breaker.ts';
import { createDynamoDBRateLimiter } from '../adapters/aws/dynamodb-rate-limiter.ts';
import { createDynamoDBStateStore } from '../adapters/aws/dynamodb-state-store.ts';
import { grantKeyFromSecret } from '../adapters/aws/grant-key.ts';
import { secretsManagerCredentials } from '../adapters/aws/http-credentials.ts';
import { slackBotTokenFromSecret } from '../adapters/aws/secrets.ts';
import { createSesEmailTransport, sesClient } from '../adapters/aws/ses-email-transport.ts';
import { createStepFunctionsCallbacks } from '../adapters/aws/step-functions.ts';
import { createWebApiSlackTransport } from '../adapters/slack/web-api-slack-transport.ts';
import { systemClock } from '../adapters/system-clock.ts';
import { describeAction } from '../connectors/descriptors.ts';
import { emailSendConnector } from '../connectors/email-send.ts';
import { httpRequestConnector } from '../connectors/http-request.ts';
import { slackDeleteConnector, slackPostConnector } from '../connectors/slack-post.ts';
import { stateRevertConnector } from '../connectors/state-revert.ts';
import { stateUpsertConnector } from '../connectors/state-upsert.ts';
import { createHmacGrantSigner } from '../core/capability.ts';
import { catalogueOf } from '../core/connector.ts';
import { requireEnv } from '../shared/config.ts';
import { createGatewayHandler } from './gateway-handler.ts';

const env = requireEnv(['STATE_TABLE', 'IDEMPOTENCY_TABLE', 'GRANT_KEY_SECRET']);
const dynamodb = dynamodbClient();
const store = createDynamoDBStateStore({ client: dynamodb, tableName: env.STATE_TABLE });
// Email and Slack are optional: without their configuration the connector is not registered,
// and an action of its type fails with "no connector handles ...".
const emailFrom = process.env.EMAIL_FROM;
const slackTokenSecret = process.env.SLACK_BOT_TOKEN_SECRET;
const slack = slackTokenSecret
  ? createWebApiSlackTransport({ getToken: slackBotTokenFromSecret({ secretId: slackTokenSecret }) })
  : undefined;
const optionalConnectors = [
  ...(emailFrom
    ? [emailSendConnector({ transport: createSesEmailTransport(sesClient()), from: emailFrom })]
    : []),
  ...(slack ? [slackPostConnector(slack), slackDeleteConnector(slack)] : []),
];

export const handler = createGatewayHandler({
  store,
  connectors: catalogueOf([
    stateUpsertConnector(store),
    stateRevertConnector(store),
    httpRequestConnector(
      fetch,
      secretsManagerCredentials(process.env.HTTP_CREDENTIALS_PREFIX ?? 'aios/http/'),
    ),
    ...optionalConnectors,
  ]),
  callbacks: createStepFunctionsCallbacks(sfnClient()),
  clock: systemClock,
  signer: createHmacGrantSigner(grantKeyFromSecret(env.GRANT_KEY_SECRET)),
  limiter: createDynamoDBRateLimiter({ client: dynamodb, tableName: env.STATE_TABLE }),
  breaker: createDynamoDBCircuitBreaker({ client: dynamodb, tableName: env.STATE_TABLE }),
  limitsOf: describeAction,
  persistenceStore: new DynamoDBPersistenceLayer({
    tableName: env.IDEMPOTENCY_TABLE,
    awsSdkV3Client: dynamodb,
  }),
});
