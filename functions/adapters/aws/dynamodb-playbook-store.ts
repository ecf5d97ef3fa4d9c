import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../../core/errors.ts';
import type { PlaybookStore, PlaybookVersion, PolicyVersion } from '../../core/ports.ts';
import { OperatorPolicySchema } from '../../core/schemas.ts';
import { WorkflowSchema } from '../../core/workflow-schema.ts';

/*
 * The playbook registry in the state table:
 *   one playbook version   pk PLAYBOOK#<name>  sk V#<version, 10 digits>   (written once, never changed)
 *   the newest of each     pk PLAYBOOKS        sk <name>                   (the version, raised only)
 *   one policy version     pk POLICY           sk V#<version, 10 digits>
 * The zero-padded sort key orders versions as numbers. The newest-of-each row is raised after
 * the version is written; a crash in between leaves it one behind until the next push of that
 * playbook, while `playbookVersions` (what runs and pushes read) is always exact.
 */
const NEWEST = 'PLAYBOOKS';
const POLICY = 'POLICY';
const sortKey = (version: number) => `V#${String(version).padStart(10, '0')}`;

export function createDynamoDBPlaybookStore(options: {
  client: DynamoDBClient;
  tableName: string;
}): PlaybookStore {
  const doc = DynamoDBDocumentClient.from(options.client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const TableName = options.tableName;

  // Items are parsed on the way out: a hand-edited row fails loudly, not deep inside a run.
  const playbookOf = (item: Record<string, unknown>): PlaybookVersion => ({
    workflow: WorkflowSchema.parse(item.workflow),
    pushedAt: String(item.pushedAt),
    pushedBy: String(item.pushedBy),
  });
  const policyOf = (item: Record<string, unknown>): PolicyVersion => ({
    version: Number(item.version),
    policy: OperatorPolicySchema.parse(item.policy),
    pushedAt: String(item.pushedAt),
    pushedBy: String(item.pushedBy),
    ...(typeof item.reason === 'string' ? { reason: item.reason } : {}),
  });

  async function queryAll(pk: string, forward = true, limit?: number) {
    const items: Record<string, unknown>[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await doc.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          ScanIndexForward: forward,
          ConsistentRead: true,
          ExclusiveStartKey,
          ...(limit ? { Limit: limit } : {}),
        }),
      );
      items.push(...(page.Items ?? []));
      ExclusiveStartKey = limit ? undefined : page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items;
  }

  async function putOnce(item: Record<string, unknown>, what: string) {
    try {
      await doc.send(
        new PutCommand({ TableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new ConflictError(`${what} is already pushed`);
      throw error;
    }
  }

  return {
    async putPlaybook(version) {
      const { name, version: n } = version.workflow;
      await putOnce({ pk: `PLAYBOOK#${name}`, sk: sortKey(n), ...version }, `playbook ${name} v${n}`);
      try {
        await doc.send(
          new UpdateCommand({
            TableName,
            Key: { pk: NEWEST, sk: name },
            UpdateExpression: 'SET version = :v, entry = :entry',
            ConditionExpression: 'attribute_not_exists(version) OR version < :v',
            ExpressionAttributeValues: { ':v': n, ':entry': version },
          }),
        );
      } catch (error) {
        // A newer version raised it first: it stays the newest.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    },
    async getPlaybook(name, version) {
      const { Item } = await doc.send(
        new GetCommand({
          TableName,
          Key: { pk: `PLAYBOOK#${name}`, sk: sortKey(version) },
          ConsistentRead: true,
        }),
      );
      return Item ? playbookOf(Item) : undefined;
    },
    async latestPlaybooks() {
      return (await queryAll(NEWEST)).map((item) => playbookOf(item.entry as Record<string, unknown>));
    },
    async playbookVersions(name) {
      return (await queryAll(`PLAYBOOK#${name}`)).map(playbookOf);
    },
    async putPolicy(version) {
      await putOnce({ pk: POLICY, sk: sortKey(version.version), ...version }, `policy v${version.version}`);
    },
    async getPolicy(version) {
      const { Item } = await doc.send(
        new GetCommand({ TableName, Key: { pk: POLICY, sk: sortKey(version) }, ConsistentRead: true }),
      );
      return Item ? policyOf(Item) : undefined;
    },
    async latestPolicy() {
      const [item] = await queryAll(POLICY, false, 1);
      return item ? policyOf(item) : undefined;
    },
  };
}
