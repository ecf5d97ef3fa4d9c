import { dynamodbClient } from '../adapters/aws/clients.ts';
import { sesEmailTransport } from '../adapters/aws/ses-email-transport.ts';
import { sfnClient } from '../adapters/aws/sfn-client.ts';
import { createApprovalHandler } from '../approvals/approval-handler.ts';
import { awsApprovals, awsRecovery } from '../approvals/aws-approvals.ts';

// The scheduled function: escalation, and the recovery sweep, which may start executions.
const clients = { dynamodb: dynamodbClient(), sfn: sfnClient() };
const { service } = awsApprovals(process.env, clients, { email: sesEmailTransport });

export const handler = createApprovalHandler(service, awsRecovery(service, process.env, clients));
