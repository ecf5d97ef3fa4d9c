import { awsApprovalReads, awsGatewayPorts, awsOperatorPorts } from '../api/aws-operator-ports.ts';
import { createMetrics } from '../app.ts';
import { httpLambdaHandler } from '../shared/http-lambda.ts';
import { awsConsoleApp } from './aws-console-app.ts';
import { viewPages } from './view-pages.tsx';

const ports = awsOperatorPorts();
const approvals = awsApprovalReads(ports);

/**
 * The console's views on AWS, behind the console authorizer: runs, a run, workflows (and starting
 * one), connectors and dead letters, and the way in. Its inbox and memory are functions of their own.
 */
export const handler = httpLambdaHandler(
  awsConsoleApp(
    'console',
    viewPages({
      ...ports.runPorts,
      approvals,
      metrics: createMetrics({ ...ports.runPorts, approvals }),
      ...awsGatewayPorts(ports),
    }),
  ),
);
