import { type DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { TABLE_NAMES } from '../../lib/local/table-definitions.ts';

/** The items of one `gsi1` partition of a pk/sk table with that index (the state table by default). */
export async function gsi1Partition(
  client: DynamoDBClient,
  partition: string,
  TableName: string = TABLE_NAMES.state,
) {
  const { Items } = await client.send(
    new QueryCommand({
      TableName,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: partition } },
    }),
  );
  return Items ?? [];
}
