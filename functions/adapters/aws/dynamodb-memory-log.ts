import { randomBytes } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../../core/errors.ts';
import { type MemoryItem, MemoryItemSchema } from '../../core/memory/schemas.ts';
import type { LogPosition, MemoryLog, SessionEntry } from '../../core/ports/memory.ts';

export interface DynamoDBMemoryLogOptions {
  client: DynamoDBClient;
  tableName: string;
  /** How long after its validity ends a working item stays in the log (DynamoDB TTL deletes it then). */
  workingRetentionDays?: number;
  /** How long a run's session buffer lives if the run never ends. */
  sessionRetentionHours?: number;
  now?: () => Date;
}

/*
 * The memory table (its own table, with a stream of NEW_IMAGE on AWS):
 *   an item's versions       pk MEM#<id>         sk V#<0000000000 version>
 *   the log in write order   gsi1pk WAL          gsi1sk <recordedAt>#<id>#<version>
 *   index versions building  pk INDEX            sk BUILDING
 *   a consumer's cursor      pk CURSOR           sk <consumer>
 *   a run's session buffer   pk SESSION#<runId>  sk <at>#<random>
 * Working items and session entries carry `expiresAt` (epoch seconds) for TTL; the indexer hears
 * of TTL deletes through the stream (REMOVE) and re-derives the item from what is left.
 */
const itemPk = (id: string) => `MEM#${id}`;
const versionSk = (version: number) => `V#${String(version).padStart(10, '0')}`;
const KEY_ATTRIBUTES = new Set(['pk', 'sk', 'gsi1pk', 'gsi1sk', 'expiresAt']);
const strip = (item: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(item).filter(([k]) => !KEY_ATTRIBUTES.has(k)));

export function positionOf(item: Pick<MemoryItem, 'recordedAt' | 'id' | 'version'>): LogPosition {
  return `${item.recordedAt}#${item.id}#${String(item.version).padStart(10, '0')}`;
}

/** The item a memory table stream record carries, if it is an item version (not a cursor or session). */
export function memoryItemFromImage(image: Record<string, unknown>): MemoryItem | undefined {
  if (typeof image.pk !== 'string' || !image.pk.startsWith('MEM#')) return undefined;
  return MemoryItemSchema.parse(strip(image));
}

/** The item id of a memory table key, if it is an item version. */
export function memoryIdFromKey(key: Record<string, unknown>): string | undefined {
  return typeof key.pk === 'string' && key.pk.startsWith('MEM#') ? key.pk.slice(4) : undefined;
}

/** What every operation works on: the memory table, the clock and how long expiring items live. */
interface MemoryTable {
  doc: DynamoDBDocumentClient;
  TableName: string;
  now: () => Date;
  workingRetentionSeconds: number;
  sessionRetentionSeconds: number;
}

type Item = Record<string, unknown>;

export function createDynamoDBMemoryLog(options: DynamoDBMemoryLogOptions): MemoryLog {
  const table: MemoryTable = {
    doc: DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    }),
    TableName: options.tableName,
    now: options.now ?? (() => new Date()),
    workingRetentionSeconds: (options.workingRetentionDays ?? 30) * 86_400,
    sessionRetentionSeconds: (options.sessionRetentionHours ?? 24) * 3600,
  };
  return {
    positionOf,
    append: (item) => appendVersion(table, item),
    versions: async (id) => {
      const items = await queryAll(table, {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :v)',
        ExpressionAttributeValues: { ':pk': itemPk(id), ':v': 'V#' },
        ConsistentRead: true,
      });
      return items.map((item) => MemoryItemSchema.parse(strip(item)));
    },
    read: (after, limit) => readLog(table, after, limit),
    buildingVersions: () => buildingVersions(table),
    setBuilding: (version, building) => setBuilding(table, version, building),
    getCursor: async (consumer) => {
      const { Item } = await table.doc.send(
        new GetCommand({
          TableName: table.TableName,
          Key: { pk: 'CURSOR', sk: consumer },
          ConsistentRead: true,
        }),
      );
      return typeof Item?.position === 'string' ? Item.position : undefined;
    },
    setCursor: async (consumer, position) => {
      await table.doc.send(
        new PutCommand({
          TableName: table.TableName,
          Item: { pk: 'CURSOR', sk: consumer, position, at: table.now().toISOString() },
        }),
      );
    },
    appendSession: (runId, entry) => appendSession(table, runId, entry),
    listSession: async (runId) =>
      (await sessionItems(table, runId)).map((item) => strip(item) as unknown as SessionEntry),
    dropSession: (runId) => dropSession(table, runId),
  };
}

/** Appends one version of an item; a version written before (by anyone) is a ConflictError. */
async function appendVersion(table: MemoryTable, item: MemoryItem): Promise<void> {
  const expiresAt =
    item.tier === 'working' && item.validUntil
      ? Math.floor(Date.parse(item.validUntil) / 1000) + table.workingRetentionSeconds
      : undefined;
  try {
    await table.doc.send(
      new PutCommand({
        TableName: table.TableName,
        Item: {
          pk: itemPk(item.id),
          sk: versionSk(item.version),
          gsi1pk: 'WAL',
          gsi1sk: positionOf(item),
          ...(expiresAt ? { expiresAt } : {}),
          ...item,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') {
      throw new ConflictError(`memory item ${item.id} v${item.version} was written by another writer`, {
        cause: error,
      });
    }
    throw error;
  }
}

/** One page of the log in write order, after `after`; `last` is where the next page starts. */
async function readLog(table: MemoryTable, after: LogPosition | undefined, limit: number) {
  const page = await table.doc.send(
    new QueryCommand({
      TableName: table.TableName,
      IndexName: 'gsi1',
      KeyConditionExpression: after ? 'gsi1pk = :wal AND gsi1sk > :after' : 'gsi1pk = :wal',
      ExpressionAttributeValues: { ':wal': 'WAL', ...(after ? { ':after': after } : {}) },
      Limit: limit,
    }),
  );
  const items = (page.Items ?? []) as Item[];
  const entries = items.map((item) => MemoryItemSchema.parse(strip(item)));
  const last = items.at(-1)?.gsi1sk;
  return { entries, ...(typeof last === 'string' ? { last } : {}) };
}

async function buildingVersions(table: MemoryTable): Promise<string[]> {
  const { Item } = await table.doc.send(
    new GetCommand({
      TableName: table.TableName,
      Key: { pk: 'INDEX', sk: 'BUILDING' },
      ConsistentRead: true,
    }),
  );
  const versions = Item?.versions;
  return versions instanceof Set ? [...versions].map(String).sort() : [];
}

async function setBuilding(table: MemoryTable, version: string, building: boolean): Promise<void> {
  await table.doc.send(
    new UpdateCommand({
      TableName: table.TableName,
      Key: { pk: 'INDEX', sk: 'BUILDING' },
      UpdateExpression: building ? 'ADD versions :v' : 'DELETE versions :v',
      ExpressionAttributeValues: { ':v': new Set([version]) },
    }),
  );
}

async function appendSession(table: MemoryTable, runId: string, entry: SessionEntry): Promise<void> {
  await table.doc.send(
    new PutCommand({
      TableName: table.TableName,
      Item: {
        pk: `SESSION#${runId}`,
        sk: `${entry.at}#${randomBytes(4).toString('hex')}`,
        expiresAt: Math.floor(table.now().getTime() / 1000) + table.sessionRetentionSeconds,
        ...entry,
      },
    }),
  );
}

function sessionItems(table: MemoryTable, runId: string, projection?: string): Promise<Item[]> {
  return queryAll(table, {
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': `SESSION#${runId}` },
    ...(projection ? { ProjectionExpression: projection } : {}),
    ConsistentRead: true,
  });
}

/** Deletes a run's session buffer, 25 keys to a request (BatchWriteItem's limit); returns how many. */
async function dropSession(table: MemoryTable, runId: string): Promise<number> {
  const items = await sessionItems(table, runId, 'pk, sk');
  const { TableName } = table;
  for (let i = 0; i < items.length; i += 25) {
    let requests: Item[] = items
      .slice(i, i + 25)
      .map((key) => ({ DeleteRequest: { Key: { pk: key.pk, sk: key.sk } } }));
    while (requests.length > 0) {
      const result = await table.doc.send(new BatchWriteCommand({ RequestItems: { [TableName]: requests } }));
      requests = (result.UnprocessedItems?.[TableName] ?? []) as Item[];
    }
  }
  return items.length;
}

async function queryAll(table: MemoryTable, input: Omit<QueryCommandInput, 'TableName'>): Promise<Item[]> {
  const items: Item[] = [];
  let ExclusiveStartKey: Item | undefined;
  do {
    const page = await table.doc.send(
      new QueryCommand({ TableName: table.TableName, ...input, ExclusiveStartKey }),
    );
    items.push(...((page.Items ?? []) as Item[]));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}
