import { createDynamoDBScheduleStore } from '../adapters/aws/dynamodb-triggers.ts';
import { createApiApp, createScheduleFiresService } from '../app.ts';
import { requireEnv } from '../shared/config.ts';
import { httpLambdaHandler } from '../shared/http-lambda.ts';
import { awsOperatorPorts } from './aws-operator-ports.ts';

const env = requireEnv(['AIOS_API_URL']);
const ports = awsOperatorPorts();

export const handler = httpLambdaHandler(
  createApiApp({
    ...ports.runPorts,
    schedules: createScheduleFiresService({
      ...ports.runPorts,
      schedules: createDynamoDBScheduleStore({ client: ports.dynamodb, tableName: ports.stateTable }),
      apiUrl: env.AIOS_API_URL,
    }),
    memory: ports.memory,
    deadLetters: ports.deadLetters,
    // The operator's inbox decides through the same service as Slack and the links: first decision wins.
    approvals: ports.approvals,
    handoffs: ports.handoffs,
    connectors: ports.connectors,
    // A cancel stops the execution (states:StopExecution) and withdraws what the run waits on.
    runControl: { approvals: ports.approvals, handoffs: ports.handoffStore },
    trust: ports.trust,
    playbooks: ports.playbooks,
  }),
);
