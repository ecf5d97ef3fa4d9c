import { createDynamoDBLinkTokenUses } from '../adapters/aws/dynamodb-link-uses.ts';
import { systemClock } from '../adapters/system-clock.ts';
import { createApprovalLinksApp } from '../app.ts';
import { awsApprovals } from '../approvals/aws-approvals.ts';
import { httpLambdaHandler } from '../shared/http-lambda.ts';

const { service, dynamodb, linkTokens, stateTable } = awsApprovals(process.env, undefined, {
  publicEndpoint: true,
});
if (!linkTokens) throw new Error('missing environment variable: LINK_KEY_SECRET');

/** GET shows the confirmation page; only the POST decides. Public: the signed token is the credential. */
export const handler = httpLambdaHandler(
  createApprovalLinksApp({
    approvals: service,
    verify: linkTokens.verify,
    uses: createDynamoDBLinkTokenUses({ client: dynamodb, tableName: stateTable }),
    clock: systemClock,
  }),
);
