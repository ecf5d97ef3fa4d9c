import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AlertMark, AlertMarks } from '../../core/operator-alerts.ts';

/**
 * Alert marks in the state table, in the run's partition (kept as long as the run):
 *   pk RUN#<runId>  sk NOTIFIED#<run-failed | handoff#<stepIndex>>  owner  leaseUntil (ISO)  sentAt (ISO, once sent)
 */
export function createDynamoDBAlertMarks(options: { client: DynamoDBClient; tableName: string }): AlertMarks {
  const doc = DynamoDBDocumentClient.from(options.client);
  const TableName = options.tableName;
  const key = (runId: string, mark: AlertMark) => ({ pk: `RUN#${runId}`, sk: `NOTIFIED#${mark}` });

  return {
    async claim(runId, reason, { owner, now, leaseUntil }) {
      try {
        await doc.send(
          new PutCommand({
            TableName,
            Item: { ...key(runId, reason), owner, leaseUntil },
            // No mark, or a claim whose sender neither sent nor renewed before its lease ended.
            ConditionExpression:
              'attribute_not_exists(pk) OR (attribute_not_exists(sentAt) AND leaseUntil < :now)',
            ExpressionAttributeValues: { ':now': now },
          }),
        );
        return 'claimed';
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const { Item } = await doc.send(
          new GetCommand({ TableName, Key: key(runId, reason), ConsistentRead: true }),
        );
        return Item?.sentAt ? 'sent' : 'busy';
      }
    },
    async sent(runId, reason, at) {
      await doc.send(
        new UpdateCommand({
          TableName,
          Key: key(runId, reason),
          UpdateExpression: 'SET sentAt = :at',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':at': at },
          ReturnValues: 'NONE',
        }),
      );
    },
  };
}
