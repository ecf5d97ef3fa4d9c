import { shippedCatalog } from '../../playbooks/catalog.ts';
import { dynamodbClient } from '../adapters/aws/clients.ts';
import { createDynamoDBAlertMarks } from '../adapters/aws/dynamodb-alert-marks.ts';
import { createDynamoDBStateStore } from '../adapters/aws/dynamodb-state-store.ts';
import { createDynamoDBTrustStore } from '../adapters/aws/dynamodb-trust-store.ts';
import { awsMemoryFromEnv } from '../adapters/aws/memory.ts';
import { slackBotTokenFromSecret } from '../adapters/aws/secrets.ts';
import { createSesEmailTransport, sesClient } from '../adapters/aws/ses-email-transport.ts';
import { createWebApiSlackTransport } from '../adapters/slack/web-api-slack-transport.ts';
import { systemClock } from '../adapters/system-clock.ts';
import { createAlerts, createRunRecorder, createTrust } from '../app.ts';
import { requireEnv } from '../shared/config.ts';

const env = requireEnv(['STATE_TABLE']);
const { SLACK_BOT_TOKEN_SECRET, SLACK_ALERTS_CHANNEL, EMAIL_FROM, ALERT_EMAIL, RUN_LINK_BASE_URL } =
  process.env;

const dynamodb = dynamodbClient();
const store = createDynamoDBStateStore({ client: dynamodb, tableName: env.STATE_TABLE });

export const handler = createRunRecorder({
  store,
  // A finished shadow run opens a review item per proposed action.
  reviews: createTrust({
    trust: createDynamoDBTrustStore({ client: dynamodb, tableName: env.STATE_TABLE }),
    store,
    catalog: shippedCatalog,
    clock: systemClock,
  }),
  clock: systemClock,
  // Writes only: a run's summary and postmortem go to the memory log, the indexer does the rest.
  memory: awsMemoryFromEnv({ dynamodb, clock: systemClock }).service,
  // A failed run tells the operator once: Slack when its channel is set, else email to the alert address.
  alerts: createAlerts({
    marks: createDynamoDBAlertMarks({ client: dynamodb, tableName: env.STATE_TABLE }),
    clock: systemClock,
    slack:
      SLACK_BOT_TOKEN_SECRET && SLACK_ALERTS_CHANNEL
        ? {
            transport: createWebApiSlackTransport({
              getToken: slackBotTokenFromSecret({ secretId: SLACK_BOT_TOKEN_SECRET }),
            }),
            channel: SLACK_ALERTS_CHANNEL,
          }
        : undefined,
    email:
      EMAIL_FROM && ALERT_EMAIL
        ? { transport: createSesEmailTransport(sesClient()), from: EMAIL_FROM, to: [ALERT_EMAIL] }
        : undefined,
    runLinkBase: RUN_LINK_BASE_URL,
  }),
});
