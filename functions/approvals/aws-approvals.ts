import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { dynamodbClient } from '../adapters/aws/clients.ts';
import { createDynamoDBApprovalStore } from '../adapters/aws/dynamodb-approval-store.ts';
import { createDynamoDBHandoffStore } from '../adapters/aws/dynamodb-handoff-store.ts';
import { createDynamoDBPlaybookStore } from '../adapters/aws/dynamodb-playbook-store.ts';
import { createDynamoDBStateStore } from '../adapters/aws/dynamodb-state-store.ts';
import { createDynamoDBTrustStore } from '../adapters/aws/dynamodb-trust-store.ts';
import { grantKeyFromSecret } from '../adapters/aws/grant-key.ts';
import { slackBotTokenFromSecret } from '../adapters/aws/secrets.ts';
import { sfnClient } from '../adapters/aws/sfn-client.ts';
import {
  createStepFunctionsCallbacks,
  createStepFunctionsOrchestrator,
  createStepFunctionsTaskWaits,
} from '../adapters/aws/step-functions.ts';
import { createWebApiSlackTransport } from '../adapters/slack/web-api-slack-transport.ts';
import { systemClock } from '../adapters/system-clock.ts';
import {
  createApprovals,
  createHandoffs,
  createPublicApprovals,
  createRecoveryService,
  createTrust,
  readPlaybooks,
} from '../app.ts';
import type { ApprovalService } from '../core/approvals/service.ts';
import type { EmailTransport } from '../core/ports/email-transport.ts';
import { requireEnv } from '../shared/config.ts';
import { approvalOverridden } from '../shared/workflow-metrics.ts';
import { createLinkTokens } from './email/link-token.ts';

/**
 * The public link and Slack endpoints only decide, which sends no email, and their roles reach
 * approval and link items only. The request and escalation functions may ask or escalate by email
 * (when EMAIL_FROM is set) through the transport their composition root passes; the operator's API
 * and console functions decide and withdraw, which send no email either (`email: false`; they get
 * no EMAIL_FROM). So only those that email load the SES client at a cold start (the Slack click
 * must answer within 3 s, cold start included).
 */
export type AwsApprovalsOptions =
  | { publicEndpoint: true }
  | { publicEndpoint?: false; email: (() => EmailTransport) | false };

const registryOn = (client: DynamoDBClient, tableName: string) =>
  readPlaybooks({ store: createDynamoDBPlaybookStore({ client, tableName }) });

/**
 * The approval service as every AWS Lambda that touches approvals builds it, from its
 * environment: the state table, the orchestrator's task tokens, and whichever channels are
 * configured (Slack with SLACK_BOT_TOKEN_SECRET + SLACK_APPROVALS_CHANNEL; email with
 * EMAIL_FROM + LINK_KEY_SECRET + PUBLIC_BASE_URL).
 */
export function awsApprovals(
  env: NodeJS.ProcessEnv,
  clients: { dynamodb: DynamoDBClient; sfn: SFNClient } = { dynamodb: dynamodbClient(), sfn: sfnClient() },
  options: AwsApprovalsOptions,
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
  const publicBaseUrl = env.PUBLIC_BASE_URL;
  const playbooks = registryOn(dynamodb, stateTable);
  const catalog = playbooks.catalog();
  const approvalStore = createDynamoDBApprovalStore({ client: dynamodb, tableName: stateTable });
  const common = {
    approvals: approvalStore,
    catalog,
    operatorPolicy: playbooks.policy,
    callbacks: createStepFunctionsCallbacks(clients.sfn),
    clock: systemClock,
    channels: {
      slack:
        slackTransport && env.SLACK_APPROVALS_CHANNEL
          ? { transport: slackTransport, channel: env.SLACK_APPROVALS_CHANNEL }
          : undefined,
      email:
        env.EMAIL_FROM && linkTokens && publicBaseUrl && !options.publicEndpoint && options.email
          ? {
              transport: options.email(),
              from: env.EMAIL_FROM,
              publicBaseUrl: () => publicBaseUrl,
              mint: linkTokens.mint,
            }
          : undefined,
    },
  };
  if (options.publicEndpoint) {
    const service = createPublicApprovals(common);
    return { service, dynamodb, slackTransport, linkTokens, stateTable };
  }
  const store = createDynamoDBStateStore({ client: dynamodb, tableName: stateTable });
  // Every decided approval of a live run is a judgement of its workflow (RUN# partition only).
  const trust = createTrust({
    trust: createDynamoDBTrustStore({ client: dynamodb, tableName: stateTable }),
    store,
    catalog,
    clock: systemClock,
  });
  const service = createApprovals({
    ...common,
    store,
    onDecided: async (approval) => {
      await trust.fromApproval(approval);
      approvalOverridden(approval);
    },
  });
  return { service, dynamodb, slackTransport, linkTokens, stateTable };
}

/**
 * The recovery sweep the escalation schedule runs on AWS: settled approvals whose runs were
 * never told, completed handoffs likewise, actions whose intent ended without their answer
 * reaching the run, and QUEUED runs whose execution never started (STATE_MACHINE_ARN: the run
 * machine).
 */
export function awsRecovery(
  service: ApprovalService,
  env: NodeJS.ProcessEnv,
  clients: { dynamodb: DynamoDBClient; sfn: SFNClient },
) {
  const { STATE_TABLE, STATE_MACHINE_ARN } = requireEnv(['STATE_TABLE', 'STATE_MACHINE_ARN'], env);
  const runs = createDynamoDBStateStore({ client: clients.dynamodb, tableName: STATE_TABLE });
  return createRecoveryService({
    approvals: service,
    handoffs: createHandoffs({
      handoffs: createDynamoDBHandoffStore({ client: clients.dynamodb, tableName: STATE_TABLE }),
      store: runs,
      catalog: registryOn(clients.dynamodb, STATE_TABLE).catalog(),
      clock: systemClock,
      callbacks: createStepFunctionsCallbacks(clients.sfn),
    }),
    runs,
    orchestrator: createStepFunctionsOrchestrator(clients.sfn, STATE_MACHINE_ARN),
    clock: systemClock,
    actions: {
      waits: createStepFunctionsTaskWaits(clients.sfn, STATE_MACHINE_ARN),
      callbacks: createStepFunctionsCallbacks(clients.sfn),
    },
  });
}
