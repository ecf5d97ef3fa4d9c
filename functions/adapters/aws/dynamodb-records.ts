import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';

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

/**
 * Writes a new inbox record (listed in its gsi1 inbox by creation time, with the token that answers
 * its run) unless one is already under `key`: true when this call created it, false when a retried
 * task finds it there and must reconcile the token itself.
 */
export async function putNewInboxRecord(
  doc: DynamoDBDocumentClient,
  TableName: string,
  record: {
    key: Item;
    inbox: string;
    id: string;
    createdAt: string;
    status: string;
    taskToken: string;
    body: unknown;
  },
): Promise<boolean> {
  try {
    await doc.send(
      new PutCommand({
        TableName,
        Item: {
          ...record.key,
          gsi1pk: record.inbox,
          gsi1sk: `${record.createdAt}#${record.id}`,
          status: record.status,
          taskToken: record.taskToken,
          record: JSON.stringify(record.body),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return true;
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    return false;
  }
}
