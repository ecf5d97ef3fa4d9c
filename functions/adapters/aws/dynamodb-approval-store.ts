import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type Approval, ApprovalSchema } from '../../core/approvals/approval.ts';
import type { ApprovalStore } from '../../core/approvals/service.ts';
import { ConflictError } from '../../core/errors.ts';

/*
 * Approvals in the state table:
 *   one approval          pk APPROVAL#<id>   sk APPROVAL   (record as JSON, status, version, taskToken)
 *   the pending inbox     gsi1pk APPROVALS#PENDING  gsi1sk <createdAt>#<id>   (removed once decided)
 * The task token is an attribute beside the record, never part of what the store hands out.
 */
export function createDynamoDBApprovalStore(options: {
  client: DynamoDBClient;
  tableName: string;
}): ApprovalStore {
  const doc = DynamoDBDocumentClient.from(options.client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const TableName = options.tableName;
  const key = (id: string) => ({ pk: `APPROVAL#${id}`, sk: 'APPROVAL' });
  const parse = (item: Record<string, unknown>) => ApprovalSchema.parse(JSON.parse(item.record as string));

  async function read(id: string) {
    const { Item } = await doc.send(new GetCommand({ TableName, Key: key(id), ConsistentRead: true }));
    return Item;
  }

  const indexKeys = (approval: Approval) =>
    approval.status === 'PENDING'
      ? { gsi1pk: 'APPROVALS#PENDING', gsi1sk: `${approval.createdAt}#${approval.approvalId}` }
      : {};

  return {
    async create(approval, taskToken) {
      try {
        await doc.send(
          new PutCommand({
            TableName,
            Item: {
              ...key(approval.approvalId),
              ...indexKeys(approval),
              status: approval.status,
              version: 1,
              taskToken,
              record: JSON.stringify(approval),
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        return approval;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
      // A retried request: keep the record, answer the newest token (Step Functions issued a new one).
      await doc
        .send(
          new UpdateCommand({
            TableName,
            Key: key(approval.approvalId),
            UpdateExpression: 'SET taskToken = :token',
            ConditionExpression: '#status = :pending',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':token': taskToken, ':pending': 'PENDING' },
          }),
        )
        .catch((error: unknown) => {
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
        });
      const existing = await read(approval.approvalId);
      if (!existing) throw new ConflictError(`approval ${approval.approvalId} vanished while being created`);
      return parse(existing);
    },

    async get(id) {
      const item = await read(id);
      return item ? parse(item) : undefined;
    },

    async taskToken(id) {
      const item = await read(id);
      return typeof item?.taskToken === 'string' ? item.taskToken : undefined;
    },

    async update(id, patch) {
      const item = await read(id);
      if (!item) throw new ConflictError(`approval ${id} does not exist`);
      const current = parse(item);
      if (current.status !== 'PENDING')
        throw new ConflictError(`approval ${id} is already ${current.status}`);
      const next = ApprovalSchema.parse({ ...current, ...patch });
      const version = Number(item.version);
      try {
        await doc.send(
          new PutCommand({
            TableName,
            Item: {
              ...key(id),
              ...indexKeys(next),
              status: next.status,
              version: version + 1,
              taskToken: item.taskToken,
              record: JSON.stringify(next),
            },
            // First decision wins: only a write based on the PENDING version just read goes through.
            ConditionExpression: '#status = :pending AND version = :version',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':pending': 'PENDING', ':version': version },
          }),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException)
          throw new ConflictError(`approval ${id} changed meanwhile`, { cause: error });
        throw error;
      }
      return next;
    },

    async listPending() {
      const items: Record<string, unknown>[] = [];
      let ExclusiveStartKey: Record<string, unknown> | undefined;
      do {
        const page = await doc.send(
          new QueryCommand({
            TableName,
            IndexName: 'gsi1',
            KeyConditionExpression: 'gsi1pk = :pk',
            ExpressionAttributeValues: { ':pk': 'APPROVALS#PENDING' },
            ExclusiveStartKey,
          }),
        );
        items.push(...((page.Items ?? []) as Record<string, unknown>[]));
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (ExclusiveStartKey);
      // The index is eventually consistent: drop anything decided since.
      return items.map(parse).filter((a) => a.status === 'PENDING');
    },
  };
}
