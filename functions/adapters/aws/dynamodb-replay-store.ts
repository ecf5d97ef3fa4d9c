import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type ReplayRecord, ReplayRecordSchema, type ReplayStore } from '../../core/replay/schemas.ts';
import { documentClient, type Item } from './dynamodb-records.ts';

/*
 * Replays in the state table, in a partition of their own per run:
 *   a run's replays, in time order   pk REPLAY#<runId>   sk <createdAt>#<replayId>
 * Not under RUN#<runId>: the public handlers (approval links, Slack) are held to the RUN# partitions,
 * and a replay (the run's input, drafts, would-be effects) is none of their business.
 */
export const replayPartition = (runId: string) => `REPLAY#${runId}`;

export function createDynamoDBReplayStore(options: {
  client: DynamoDBClient;
  tableName: string;
}): ReplayStore {
  const doc = documentClient(options.client);
  const TableName = options.tableName;
  return {
    async saveReplay(record) {
      await doc.send(
        new PutCommand({
          TableName,
          Item: {
            pk: replayPartition(record.runId),
            sk: `${record.createdAt}#${record.replayId}`,
            // One attribute: a replay's steps nest deeper than is worth mapping, and it is read whole.
            record: JSON.stringify(record),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    },
    async listReplays(runId) {
      const records: ReplayRecord[] = [];
      let ExclusiveStartKey: Item | undefined;
      do {
        const page = await doc.send(
          new QueryCommand({
            TableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': replayPartition(runId) },
            ConsistentRead: true,
            ExclusiveStartKey,
          }),
        );
        for (const item of page.Items ?? [])
          records.push(ReplayRecordSchema.parse(JSON.parse(String(item.record))));
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (ExclusiveStartKey);
      return records;
    },
  };
}
