import { awsDecisionPorts, awsHandoffService, awsOperatorPorts } from '../api/aws-operator-ports.ts';
import { awsConsoleApp } from '../console/aws-console-app.ts';
import { inboxPages } from '../console/inbox-pages.tsx';
import { httpLambdaHandler } from '../shared/http-lambda.ts';

const ports = awsOperatorPorts();
const decisions = awsDecisionPorts(ports);

/**
 * The console's inbox on AWS: approvals (approve with edits, or reject), handoffs and shadow
 * reviews, through the same services as the API, Slack and the links: the first decision wins.
 */
export const handler = httpLambdaHandler(
  awsConsoleApp(
    'console-inbox',
    inboxPages({
      clock: ports.runPorts.clock,
      approvals: decisions.approvals,
      handoffs: awsHandoffService(ports, decisions),
      reviews: ports.trust,
    }),
  ),
);
