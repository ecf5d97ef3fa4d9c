import { systemClock } from '../adapters/system-clock.ts';
import { createSlackInteractionsApp } from '../app.ts';
import { awsApprovals } from '../approvals/aws-approvals.ts';
import { slackInteractionClient } from '../approvals/slack/interactions.ts';
import { slackSigningSecretFromSecret } from '../approvals/slack/signing-secret.ts';
import { requireEnv } from '../shared/config.ts';
import { httpLambdaHandler } from '../shared/http-lambda.ts';
import { logger } from '../shared/powertools.ts';

const env = requireEnv(['SLACK_SIGNING_SECRET', 'SLACK_BOT_TOKEN_SECRET']);
const { service, slackTransport } = awsApprovals(process.env, undefined, { publicEndpoint: true });
if (!slackTransport) throw new Error('missing environment variable: SLACK_BOT_TOKEN_SECRET');

/** Slack's interactivity endpoint: every request's signature is checked before anything else. */
export const handler = httpLambdaHandler(
  createSlackInteractionsApp({
    approvals: service,
    signingSecret: slackSigningSecretFromSecret({ secretId: env.SLACK_SIGNING_SECRET }),
    slack: slackInteractionClient(slackTransport),
    clock: systemClock,
    logger: {
      info: (message, attributes) => logger.info(message, attributes ?? {}),
      warn: (message, attributes) => logger.warn(message, attributes ?? {}),
      error: (message, attributes) => logger.error(message, attributes ?? {}),
    },
  }),
);
