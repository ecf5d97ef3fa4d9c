import { createApprovalHandler } from './approval-handler.ts';
import { awsApprovals } from './aws-approvals.ts';

export const handler = createApprovalHandler(awsApprovals().service);
