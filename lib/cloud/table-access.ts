import { Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';

// Grants on the shared state table, narrower than the L2 `grantReadWriteData`. No function may
// delete an item: runs, intents, the journal and the audit log are the record of what the
// business did, and only TTL (DynamoDB itself) ever removes them. Item keys (pk, see the AWS
// adapters): RUN#<id> (run, plan, intents, JOURNAL#…), AUDIT#<run id> (the audit log),
// APPROVAL#<id>, LINK#<nonce>, ENTITY#…, LIMIT#…, BREAKER#…, IDEMPOTENCY#…; the GSI gsi1 holds
// the inboxes and run lists. Audit entries are added by the functions that append them and
// changed by none: an explicit Deny on AUDIT#* items (dynamodb:LeadingKeys) holds every other
// role off them, and every role off UpdateItem on them; the adapter's put is conditional
// (attribute_not_exists), so an append never overwrites.

const READ = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem'];
/** Put and update, conditional in the adapters; never DeleteItem or BatchWriteItem (which can delete). */
const WRITE = ['dynamodb:PutItem', 'dynamodb:UpdateItem'];
export const DELETING_ACTIONS = ['dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:*'];
/** The partition of the audit log (dynamodb-state-store.ts). */
export const AUDIT_KEY_PREFIX = 'AUDIT#';

export interface ReadAppendOptions {
  /**
   * Why this function appends audit entries (the gateway its effects, the executor its policy
   * decisions, ...); without it the role may not write audit entries at all.
   */
  readonly appendsAudit?: string;
}

const roleOf = (fn: IFunction): iam.IRole => {
  if (!fn.role) throw new Error(`${fn.node.path} has no role to grant on`);
  return fn.role;
};

/**
 * Read every item (also through the table's indexes), add items and update them; no deletes.
 * The index wildcard is acknowledged on this function's role only, so each grant carries its own reason.
 */
export function grantReadAppend(
  table: dynamodb.ITable,
  fn: IFunction,
  options: ReadAppendOptions = {},
): void {
  const role = roleOf(fn);
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: [...READ, ...WRITE, 'dynamodb:DescribeTable'],
      resources: [table.tableArn, `${table.tableArn}/index/*`],
    }),
  );
  // An audit entry, once written, is never changed; only an appender adds one.
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      effect: iam.Effect.DENY,
      actions: options.appendsAudit ? ['dynamodb:UpdateItem'] : WRITE,
      resources: [table.tableArn],
      conditions: { 'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': [`${AUDIT_KEY_PREFIX}*`] } },
    }),
  );
  const tableLogicalId = Stack.of(table).getLogicalId(table.node.defaultChild as dynamodb.CfnTable);
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${tableLogicalId}.Arn>/index/*]`,
    reason: `${fn.node.path} queries the state table through its GSI (run lists, inboxes); the wildcard covers only the indexes of this one table.`,
  });
}

/**
 * Read and update only items whose partition key starts with one of `prefixes`
 * (`dynamodb:LeadingKeys`), on the table itself: no index, no other item, no delete.
 */
export function grantItemsWithPrefixes(
  table: dynamodb.ITable,
  fn: IFunction,
  prefixes: readonly string[],
): void {
  roleOf(fn).addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem', ...WRITE],
      resources: [table.tableArn],
      conditions: {
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': prefixes.map((prefix) => `${prefix}*`) },
      },
    }),
  );
}
