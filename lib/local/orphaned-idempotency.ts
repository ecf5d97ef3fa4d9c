import { DeleteItemCommand, type DynamoDBClient, paginateScan } from '@aws-sdk/client-dynamodb';

/**
 * Deletes the Powertools idempotency records still marked INPROGRESS; returns how many.
 *
 * Only for the local runtime at start-up, before its queue worker runs: the one process that
 * consumes the action queue is gone, so every in-progress record was held by a dead attempt.
 * Left alone, a redelivered action meets its own dead record, fails with "already in progress" and
 * waits out the whole visibility timeout (30 s) although its holder died seconds before. Deleting
 * the record changes only that wait: whether the effect may start again is the intent's lease's
 * call (it knows a redelivery of the same message takes over from a dead holder), as it is when
 * the record has expired by itself. The delete is conditional, so a record that completed is kept.
 */
export async function releaseOrphanedIdempotencyRecords(
  client: DynamoDBClient,
  tableName: string,
): Promise<number> {
  const inProgress = { ':inProgress': { S: 'INPROGRESS' } };
  let released = 0;
  for await (const page of paginateScan(
    { client },
    {
      TableName: tableName,
      FilterExpression: '#status = :inProgress',
      ProjectionExpression: 'id',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: inProgress,
    },
  )) {
    for (const item of page.Items ?? []) {
      if (!item.id) continue;
      try {
        await client.send(
          new DeleteItemCommand({
            TableName: tableName,
            Key: { id: item.id },
            ConditionExpression: '#status = :inProgress',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: inProgress,
          }),
        );
        released += 1;
      } catch (error) {
        if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      }
    }
  }
  return released;
}
