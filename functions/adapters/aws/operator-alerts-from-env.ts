import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createAlerts } from '../../app.ts';
import { createWebApiSlackTransport } from '../slack/web-api-slack-transport.ts';
import { systemClock } from '../system-clock.ts';
import { createDynamoDBAlertMarks } from './dynamodb-alert-marks.ts';
import { slackBotTokenFromSecret } from './secrets.ts';
import { createSesEmailTransport, sesClient } from './ses-email-transport.ts';

/**
 * The operator's alerts as a Lambda builds them from the settings the stack gives it: Slack when
 * SLACK_BOT_TOKEN_SECRET and SLACK_ALERTS_CHANNEL are set, else email from EMAIL_FROM to
 * ALERT_EMAIL; neither set, none (undefined). The run recorder tells of failed runs with them,
 * the planner of handoffs.
 */
export function operatorAlertsFromEnv(dynamodb: DynamoDBClient, tableName: string, env = process.env) {
  const { SLACK_BOT_TOKEN_SECRET, SLACK_ALERTS_CHANNEL, EMAIL_FROM, ALERT_EMAIL, RUN_LINK_BASE_URL } = env;
  return createAlerts({
    marks: createDynamoDBAlertMarks({ client: dynamodb, tableName }),
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
  });
}
