import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { shippedCatalog, shippedOperatorPolicy } from '../../playbooks/catalog.ts';
import { dynamodbClient, sfnClient } from '../adapters/aws/clients.ts';
import { createDynamoDBApprovalStore } from '../adapters/aws/dynamodb-approval-store.ts';
import { createDynamoDBStateStore } from '../adapters/aws/dynamodb-state-store.ts';
import { grantKeyFromSecret } from '../adapters/aws/grant-key.ts';
import { slackBotTokenFromSecret } from '../adapters/aws/secrets.ts';
import { createSesEmailTransport, sesClient } from '../adapters/aws/ses-email-transport.ts';
import {
  createStepFunctionsCallbacks,
  createStepFunctionsOrchestrator,
  isClosedTaskToken,
} from '../adapters/aws/step-functions.ts';
import { createWebApiSlackTransport } from '../adapters/slack/web-api-slack-transport.ts';
import { systemClock } from '../adapters/system-clock.ts';
import { describeAction } from '../connectors/descriptors.ts';
import { paramsProblem } from '../connectors/param-schemas.ts';
import { type ApprovalService, createApprovalService } from '../core/approvals/service.ts';
import { createRecovery } from '../core/recovery.ts';
import { requireEnv } from '../shared/config.ts';
import { logger } from '../shared/powertools.ts';
import { createLinkTokens } from './email/link-token.ts';
import { createEmailApprovalNotifier } from './email/notifier.ts';
import { createApprovalNotifier } from './notifier.ts';
import { createSlackApprovalNotifier } from './slack/notifier.ts';

/**
 * The approval service as every AWS Lambda that touches approvals builds it, from its
 * environment: the state table, the orchestrator's task tokens, and whichever channels are
 * configured (Slack with SLACK_BOT_TOKEN_SECRET + SLACK_APPROVALS_CHANNEL; email with
 * EMAIL_FROM + LINK_KEY_SECRET + PUBLIC_BASE_URL).
 */
export function awsApprovals(
  env: NodeJS.ProcessEnv = process.env,
  clients: { dynamodb: DynamoDBClient; sfn: SFNClient } = { dynamodb: dynamodbClient(), sfn: sfnClient() },
) {
  const stateTable = env.STATE_TABLE;
  if (!stateTable) throw new Error('missing environment variable: STATE_TABLE');
  const { dynamodb } = clients;
  const slackTransport = env.SLACK_BOT_TOKEN_SECRET
    ? createWebApiSlackTransport({
        getToken: slackBotTokenFromSecret({ secretId: env.SLACK_BOT_TOKEN_SECRET }),
      })
    : undefined;
  const linkTokens = env.LINK_KEY_SECRET
    ? createLinkTokens({ getKey: grantKeyFromSecret(env.LINK_KEY_SECRET), clock: systemClock })
    : undefined;
  const service = createApprovalService({
    approvals: createDynamoDBApprovalStore({ client: dynamodb, tableName: stateTable }),
    store: createDynamoDBStateStore({ client: dynamodb, tableName: stateTable }),
    catalog: shippedCatalog,
    operatorPolicy: shippedOperatorPolicy,
    callbacks: createStepFunctionsCallbacks(clients.sfn),
    clock: systemClock,
    riskOf: (type) => describeAction(type)?.risk,
    validateParams: paramsProblem,
    isClosedToken: isClosedTaskToken,
    notifier: createApprovalNotifier({
      slack:
        slackTransport && env.SLACK_APPROVALS_CHANNEL
          ? createSlackApprovalNotifier({ transport: slackTransport, channel: env.SLACK_APPROVALS_CHANNEL })
          : undefined,
      email:
        env.EMAIL_FROM && linkTokens && env.PUBLIC_BASE_URL
          ? createEmailApprovalNotifier({
              transport: createSesEmailTransport(sesClient()),
              from: env.EMAIL_FROM,
              publicBaseUrl: env.PUBLIC_BASE_URL,
              mint: linkTokens.mint,
            })
          : undefined,
    }),
  });
  return { service, dynamodb, slackTransport, linkTokens, stateTable };
}

/**
 * The recovery sweep the escalation schedule runs on AWS: settled approvals whose runs were
 * never told, and QUEUED runs whose execution never started (STATE_MACHINE_ARN: the run machine).
 */
export function awsRecovery(
  service: ApprovalService,
  env: NodeJS.ProcessEnv,
  clients: { dynamodb: DynamoDBClient; sfn: SFNClient },
) {
  const { STATE_TABLE, STATE_MACHINE_ARN } = requireEnv(['STATE_TABLE', 'STATE_MACHINE_ARN'], env);
  return createRecovery({
    approvals: service,
    runs: createDynamoDBStateStore({ client: clients.dynamodb, tableName: STATE_TABLE }),
    orchestrator: createStepFunctionsOrchestrator(clients.sfn, STATE_MACHINE_ARN),
    clock: systemClock,
    onError: (message, error, context) => logger.error(message, { ...context, error: error as Error }),
  });
}
