import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  paginateScan,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { TABLE_NAMES } from '../table-definitions.ts';
import { StaleExecutionError } from './errors.ts';
import { type ExecutionStore, mergeHistory } from './execution-store.ts';
import type { ExecutionMeta, HistoryEvent } from './types.ts';

const META = 'META';
const executionKey = (executionArn: string) => `EXEC#${executionArn}`;
/** One event per item: how stores written before event pages kept the history; still read. */
const EVENT_PREFIX = 'EVT#';
/** A page of consecutive events, keyed by the first one's id: one write moves a checkpoint's backlog. */
const pageKey = (firstId: number) => `EVTS#${String(firstId).padStart(9, '0')}`;

export interface DynamoDBExecutionStoreOptions {
  client: DynamoDBClient | DynamoDBDocumentClient;
  tableName?: string;
}

/** The executions' table in the embedded store, which every operation works on. */
interface ExecutionTable {
  documents: DynamoDBDocumentClient;
  tableName: string;
}

/**
 * ExecutionStore on a pk/sk table (`aios-local-executions`). JSON payloads (input, output,
 * cursor, events) are kept as JSON text, so they round-trip exactly whatever their shape. The
 * history is META's pending events plus pages of events (`EVTS#<first id>`), each page one item.
 */
export function createDynamoDBExecutionStore(options: DynamoDBExecutionStoreOptions): ExecutionStore {
  const table: ExecutionTable = {
    tableName: options.tableName ?? TABLE_NAMES.executions,
    documents:
      options.client instanceof DynamoDBDocumentClient
        ? options.client
        : DynamoDBDocumentClient.from(options.client, { marshallOptions: { removeUndefinedValues: true } }),
  };
  return {
    create: (meta) => createExecution(table, meta),
    get: (executionArn) => getExecution(table, executionArn),
    replace: (meta, expectedVersion) => replaceExecution(table, meta, expectedVersion),
    events: (executionArn) => readHistory(table, executionArn),
    replaceWithPage: (meta, expectedVersion, page) => replaceWithPage(table, meta, expectedVersion, page),
    list: () => listExecutions(table),
    legacyTokenExecution: async (token) => {
      const { Item } = await table.documents.send(
        new GetCommand({
          TableName: table.tableName,
          Key: { pk: `TOKEN#${token}`, sk: 'TOKEN' },
          ConsistentRead: true,
        }),
      );
      return typeof Item?.executionArn === 'string' ? Item.executionArn : undefined;
    },
  };
}

async function createExecution(table: ExecutionTable, meta: ExecutionMeta): Promise<boolean> {
  try {
    await table.documents.send(
      new PutCommand({
        TableName: table.tableName,
        Item: toItem(meta),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
  return true;
}

async function getExecution(table: ExecutionTable, executionArn: string): Promise<ExecutionMeta | undefined> {
  const { Item } = await table.documents.send(
    new GetCommand({
      TableName: table.tableName,
      Key: { pk: executionKey(executionArn), sk: META },
      ConsistentRead: true,
    }),
  );
  return Item ? fromItem(Item) : undefined;
}

const replaceMeta = (table: ExecutionTable, meta: ExecutionMeta, expectedVersion: number) => ({
  TableName: table.tableName,
  Item: toItem(meta),
  ConditionExpression: '#version = :expected',
  ExpressionAttributeNames: { '#version': 'version' },
  ExpressionAttributeValues: { ':expected': expectedVersion },
});

async function replaceExecution(
  table: ExecutionTable,
  meta: ExecutionMeta,
  expectedVersion: number,
): Promise<void> {
  try {
    await table.documents.send(new PutCommand(replaceMeta(table, meta, expectedVersion)));
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') {
      throw new StaleExecutionError(meta.executionArn, expectedVersion);
    }
    throw error;
  }
}

/**
 * META and a page of the events it no longer carries, in one TransactWriteItems: a reader finds
 * each event in one of them at every moment, and a crash leaves both or neither.
 */
async function replaceWithPage(
  table: ExecutionTable,
  meta: ExecutionMeta,
  expectedVersion: number,
  page: readonly HistoryEvent[],
): Promise<void> {
  const first = page[0];
  if (!first) return replaceExecution(table, meta, expectedVersion);
  try {
    await table.documents.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: replaceMeta(table, meta, expectedVersion) },
          {
            Put: {
              TableName: table.tableName,
              Item: {
                pk: executionKey(meta.executionArn),
                sk: pageKey(first.id),
                body: JSON.stringify(page),
              },
            },
          },
        ],
      }),
    );
  } catch (error) {
    const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
    if (
      (error as Error).name === 'TransactionCanceledException' &&
      reasons?.[0]?.Code === 'ConditionalCheckFailed'
    ) {
      throw new StaleExecutionError(meta.executionArn, expectedVersion);
    }
    throw error;
  }
}

/** The stored events merged with those of the last checkpoint not yet written as their own items. */
async function readHistory(table: ExecutionTable, executionArn: string): Promise<HistoryEvent[]> {
  const stored: HistoryEvent[] = [];
  let meta: ExecutionMeta | undefined;
  const pages = paginateQuery(
    { client: table.documents },
    {
      TableName: table.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': executionKey(executionArn) },
      ConsistentRead: true,
    },
  );
  for await (const page of pages) {
    for (const item of page.Items ?? []) {
      const sk = item.sk as string;
      if (sk === META) meta = fromItem(item);
      else if (sk.startsWith(EVENT_PREFIX)) stored.push(JSON.parse(item.body as string) as HistoryEvent);
      else stored.push(...(JSON.parse(item.body as string) as HistoryEvent[]));
    }
  }
  return meta ? mergeHistory(stored, meta) : [];
}

async function listExecutions(table: ExecutionTable): Promise<ExecutionMeta[]> {
  const metas: ExecutionMeta[] = [];
  const pages = paginateScan(
    { client: table.documents },
    {
      TableName: table.tableName,
      FilterExpression: 'sk = :meta',
      ExpressionAttributeValues: { ':meta': META },
      ConsistentRead: true,
    },
  );
  for await (const page of pages) {
    for (const item of page.Items ?? []) metas.push(fromItem(item));
  }
  return metas;
}

function toItem(meta: ExecutionMeta) {
  return {
    pk: executionKey(meta.executionArn),
    sk: META,
    executionArn: meta.executionArn,
    stateMachineName: meta.stateMachineName,
    status: meta.status,
    version: meta.version,
    startDate: meta.startDate,
    stopDate: meta.stopDate,
    body: JSON.stringify(meta),
  };
}

const fromItem = (item: Record<string, unknown>): ExecutionMeta =>
  JSON.parse(item.body as string) as ExecutionMeta;
