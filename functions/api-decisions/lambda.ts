import { awsDecisionPorts, awsHandoffService, awsOperatorPorts } from '../api/aws-operator-ports.ts';
import { createApiFunctionApp } from '../app.ts';
import { httpLambdaHandler } from '../shared/http-lambda.ts';

const ports = awsOperatorPorts();
const decisions = awsDecisionPorts(ports);

/**
 * The API's decisions: the approval and handoff inboxes, shadow reviews and workflow trust, and
 * cancel, retry and rerun. The operator's inbox decides through the same service as Slack and the
 * links: first decision wins.
 */
export const handler = httpLambdaHandler(
  createApiFunctionApp(['api-decisions'], {
    ...ports.runPorts,
    approvals: decisions.approvals,
    handoffs: awsHandoffService(ports, decisions),
    runControl: decisions.runControl,
    trust: ports.trust,
  }),
);
