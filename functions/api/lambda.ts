import { createApiFunctionApp, createMetrics } from '../app.ts';
import { httpLambdaHandler } from '../shared/http-lambda.ts';
import { awsApprovalReads, awsGatewayPorts, awsOperatorPorts } from './aws-operator-ports.ts';

const ports = awsOperatorPorts();

/**
 * The API's runs (start, list, show, history, audit, cost), workflow metrics, the gateway's dead
 * letters and connectors. Deciding, the registry and memory are functions of their own (routes.ts).
 */
export const handler = httpLambdaHandler(
  createApiFunctionApp(['api'], {
    ...ports.runPorts,
    ...awsGatewayPorts(ports),
    // A run's cost and the override counts read its approvals; nothing here decides one.
    metrics: createMetrics({ ...ports.runPorts, approvals: awsApprovalReads(ports) }),
  }),
);
