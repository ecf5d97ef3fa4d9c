import { awsDecisionPorts, awsOperatorPorts } from '../api/aws-operator-ports.ts';
import { awsConsoleApp } from '../console/aws-console-app.ts';
import { runControlPages } from '../console/run-control-pages.tsx';
import { httpLambdaHandler } from '../shared/http-lambda.ts';

const ports = awsOperatorPorts();

/**
 * The run page's cancel, retry and rerun on AWS: the API's run control, so a cancel withdraws the
 * run's pending approvals (the approval service, which updates their Slack messages) and handoffs.
 */
export const handler = httpLambdaHandler(
  awsConsoleApp(
    'console-run-control',
    runControlPages({ ...ports.runPorts, runControl: awsDecisionPorts(ports).runControl }),
  ),
);
