import { dynamodbClient } from '../adapters/aws/clients.ts';
import { createDynamoDBApprovalStore } from '../adapters/aws/dynamodb-approval-store.ts';
import { createDynamoDBCircuitBreaker } from '../adapters/aws/dynamodb-circuit-breaker.ts';
import { createDynamoDBHandoffStore } from '../adapters/aws/dynamodb-handoff-store.ts';
import { createDynamoDBPlaybookStore } from '../adapters/aws/dynamodb-playbook-store.ts';
import { createDynamoDBRunStartClaims } from '../adapters/aws/dynamodb-run-start-claims.ts';
import { createDynamoDBStateStore } from '../adapters/aws/dynamodb-state-store.ts';
import { createDynamoDBTrustStore } from '../adapters/aws/dynamodb-trust-store.ts';
import { awsMemoryFromEnv } from '../adapters/aws/memory.ts';
import { sfnClient } from '../adapters/aws/sfn-client.ts';
import { sqsClient } from '../adapters/aws/sqs-client.ts';
import { createSqsDeadLetters } from '../adapters/aws/sqs-dead-letters.ts';
import {
  createStepFunctionsCallbacks,
  createStepFunctionsOrchestrator,
} from '../adapters/aws/step-functions.ts';
import { systemClock } from '../adapters/system-clock.ts';
import { createHandoffs, createTrust, readPlaybooks } from '../app.ts';
import { awsApprovals } from '../approvals/aws-approvals.ts';
import { connectorStatuses } from '../connectors/status.ts';
import { requireEnv } from '../shared/config.ts';

/*
 * What the operator's two front doors on AWS read and steer through: the API (IAM) and the
 * console (Cognito). Each is split into functions by what their routes load (functions/api/
 * routes.ts), so these are parts: a function builds only the ones its routes use, once per cold
 * start. Every part decides through the same services as Slack and the links (an approval decided
 * in the console is the one they see: first decision wins).
 */

/** The runs: the state table, the registry's read half, the modes and the run machine. */
export function awsOperatorPorts() {
  const env = requireEnv(['STATE_TABLE', 'STATE_MACHINE_ARN']);
  const dynamodb = dynamodbClient();
  const sfn = sfnClient();
  const playbooks = readPlaybooks({
    store: createDynamoDBPlaybookStore({ client: dynamodb, tableName: env.STATE_TABLE }),
  });
  const catalog = playbooks.catalog();
  const store = createDynamoDBStateStore({ client: dynamodb, tableName: env.STATE_TABLE });
  const trust = createTrust({
    trust: createDynamoDBTrustStore({ client: dynamodb, tableName: env.STATE_TABLE }),
    store,
    catalog,
    clock: systemClock,
  });
  const runPorts = {
    store,
    modes: trust,
    catalog,
    orchestrator: createStepFunctionsOrchestrator(sfn, env.STATE_MACHINE_ARN),
    claims: createDynamoDBRunStartClaims({ client: dynamodb, tableName: env.STATE_TABLE }),
    clock: systemClock,
  };
  return { dynamodb, sfn, runPorts, playbooks, trust, stateTable: env.STATE_TABLE };
}

export type OperatorPorts = ReturnType<typeof awsOperatorPorts>;

/** An approval as a run's page and its cost show it: read from the table, nothing decided. */
export const awsApprovalReads = (ports: OperatorPorts) =>
  createDynamoDBApprovalStore({ client: ports.dynamodb, tableName: ports.stateTable });

/**
 * Deciding: the approval service with its channels (a decision or a withdrawal updates the Slack
 * message; neither sends email, so no SES client), and what a cancel withdraws.
 */
export function awsDecisionPorts(ports: OperatorPorts) {
  const { dynamodb, sfn } = ports;
  const approvals = awsApprovals(process.env, { dynamodb, sfn }, { email: false }).service;
  const handoffStore = createDynamoDBHandoffStore({ client: dynamodb, tableName: ports.stateTable });
  return {
    approvals,
    handoffStore,
    // A cancel stops the execution (states:StopExecution) and withdraws what the run waits on.
    runControl: { approvals, handoffs: handoffStore },
  };
}

/** The handoff inbox: completing a handoff answers the run's task token (states:SendTaskSuccess, as approvals do). */
export const awsHandoffService = (ports: OperatorPorts, decisions: ReturnType<typeof awsDecisionPorts>) =>
  createHandoffs({
    handoffs: decisions.handoffStore,
    store: ports.runPorts.store,
    catalog: ports.runPorts.catalog,
    clock: systemClock,
    callbacks: createStepFunctionsCallbacks(ports.sfn),
  });

/** The gateway's dead letters and each connector's breaker. */
export function awsGatewayPorts(ports: OperatorPorts) {
  const env = requireEnv(['ACTION_DLQ_URL', 'ACTION_DLQ_ARN']);
  return {
    deadLetters: createSqsDeadLetters(sqsClient(), { url: env.ACTION_DLQ_URL, arn: env.ACTION_DLQ_ARN }),
    connectors: () =>
      connectorStatuses(
        createDynamoDBCircuitBreaker({ client: ports.dynamodb, tableName: ports.stateTable }),
        new Date(),
      ),
  };
}

/** Memory's search half. Reindex and consolidation are the maintenance function's jobs on AWS. */
export const awsMemorySearch = (ports: Pick<OperatorPorts, 'dynamodb'>) => ({
  service: awsMemoryFromEnv({ dynamodb: ports.dynamodb, clock: systemClock }).service,
});
