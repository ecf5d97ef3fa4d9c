import { sesEmailTransport } from '../adapters/aws/ses-email-transport.ts';
import { createApprovalHandler } from './approval-handler.ts';
import { awsApprovals } from './aws-approvals.ts';

export const handler = createApprovalHandler(
  awsApprovals(process.env, undefined, { email: sesEmailTransport }).service,
);
