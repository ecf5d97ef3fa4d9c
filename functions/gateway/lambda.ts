import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { dynamodbClient } from '../adapters/aws/clients.ts';
import { createDynamoDBCircuitBreaker } from '../adapters/aws/dynamodb-circuit-breaker.ts';
import { createDynamoDBRateLimiter } from '../adapters/aws/dynamodb-rate-limiter.ts';
import { createDynamoDBStateStore } from '../adapters/aws/dynamodb-state-store.ts';
import { grantKeyFromSecret } from '../adapters/aws/grant-key.ts';
import { secretsManagerCredentials } from '../adapters/aws/http-credentials.ts';
import { slackBotTokenFromSecret } from '../adapters/aws/secrets.ts';
import { createSesEmailTransport, sesClient } from '../adapters/aws/ses-email-transport.ts';
import { sfnClient } from '../adapters/aws/sfn-client.ts';
import { sqsReleaseRecords } from '../adapters/aws/sqs-release-records.ts';
import { createStepFunctionsCallbacks } from '../adapters/aws/step-functions.ts';
import { createWebApiSlackTransport } from '../adapters/slack/web-api-slack-transport.ts';
import { systemClock } from '../adapters/system-clock.ts';
import { createGateway } from '../app.ts';
import { createHmacGrantSigner } from '../core/capability.ts';
import { requireEnv } from '../shared/config.ts';

const env = requireEnv(['STATE_TABLE', 'IDEMPOTENCY_TABLE', 'GRANT_KEY_SECRET']);
const dynamodb = dynamodbClient();
// Email and Slack are optional: each transport exists only with its configuration.
const emailFrom = process.env.EMAIL_FROM;
const slackTokenSecret = process.env.SLACK_BOT_TOKEN_SECRET;

export const handler = createGateway({
  store: createDynamoDBStateStore({ client: dynamodb, tableName: env.STATE_TABLE }),
  transports: {
    fetch,
    credentials: secretsManagerCredentials(process.env.HTTP_CREDENTIALS_PREFIX ?? 'aios/http/'),
    ...(emailFrom ? { email: { transport: createSesEmailTransport(sesClient()), from: emailFrom } } : {}),
    ...(slackTokenSecret
      ? {
          slack: createWebApiSlackTransport({
            getToken: slackBotTokenFromSecret({ secretId: slackTokenSecret }),
          }),
        }
      : {}),
  },
  callbacks: createStepFunctionsCallbacks(sfnClient()),
  clock: systemClock,
  signer: createHmacGrantSigner(grantKeyFromSecret(env.GRANT_KEY_SECRET)),
  limiter: createDynamoDBRateLimiter({ client: dynamodb, tableName: env.STATE_TABLE }),
  breaker: createDynamoDBCircuitBreaker({ client: dynamodb, tableName: env.STATE_TABLE }),
  persistenceStore: new DynamoDBPersistenceLayer({
    tableName: env.IDEMPOTENCY_TABLE,
    awsSdkV3Client: dynamodb,
  }),
  releaseUntouched: sqsReleaseRecords(),
}).handler;
