import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';

// What the state table's record stores (approvals, handoffs) share: the document client, a
// consistent read of one item and the gsi1 lists (inbox, unanswered) read to their last page.

export type Item = Record<string, unknown>;

export const documentClient = (client: DynamoDBClient) =>
  DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });

export async function readItem(
  doc: DynamoDBDocumentClient,
  TableName: string,
  Key: Item,
): Promise<Item | undefined> {
  const { Item } = await doc.send(new GetCommand({ TableName, Key, ConsistentRead: true }));
  return Item;
}

/** Every item of one gsi1 partition, optionally only those sorted before `before`. */
export async function queryGsi1(
  doc: DynamoDBDocumentClient,
  TableName: string,
  partition: string,
  before?: string,
): Promise<Item[]> {
  const items: Item[] = [];
  let ExclusiveStartKey: Item | undefined;
  do {
    const page = await doc.send(
      new QueryCommand({
        TableName,
        IndexName: 'gsi1',
        KeyConditionExpression: before ? 'gsi1pk = :pk AND gsi1sk < :before' : 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': partition, ...(before ? { ':before': before } : {}) },
        ExclusiveStartKey,
      }),
    );
    items.push(...((page.Items ?? []) as Item[]));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}
