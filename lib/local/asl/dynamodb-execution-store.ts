import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  type BatchWriteCommandInput,
  type BatchWriteCommandOutput,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  paginateScan,
} from '@aws-sdk/lib-dynamodb';
import { TABLE_NAMES } from '../table-definitions.ts';
import { StaleExecutionError } from './errors.ts';
import { type ExecutionStore, mergeHistory } from './execution-store.ts';
import type { ExecutionMeta, HistoryEvent } from './types.ts';

const META = 'META';
const BATCH_LIMIT = 25;
const MAX_BATCH_ATTEMPTS = 5;
const executionKey = (executionArn: string) => `EXEC#${executionArn}`;
const eventKey = (id: number) => `EVT#${String(id).padStart(9, '0')}`;
const tokenKey = (token: string) => `TOKEN#${token}`;

export interface DynamoDBExecutionStoreOptions {
  client: DynamoDBClient | DynamoDBDocumentClient;
  tableName?: string;
}

/**
 * ExecutionStore on a pk/sk table (`aios-local-executions`). JSON payloads (input, output,
 * cursor, events) are kept as JSON text, so they round-trip exactly whatever their shape.
 */
export function createDynamoDBExecutionStore(options: DynamoDBExecutionStoreOptions): ExecutionStore {
  const tableName = options.tableName ?? TABLE_NAMES.executions;
  const documents =
    options.client instanceof DynamoDBDocumentClient
      ? options.client
      : DynamoDBDocumentClient.from(options.client, { marshallOptions: { removeUndefinedValues: true } });

  const toItem = (meta: ExecutionMeta) => ({
    pk: executionKey(meta.executionArn),
    sk: META,
    executionArn: meta.executionArn,
    stateMachineName: meta.stateMachineName,
    status: meta.status,
    version: meta.version,
    startDate: meta.startDate,
    stopDate: meta.stopDate,
    body: JSON.stringify(meta),
  });

  const fromItem = (item: Record<string, unknown>): ExecutionMeta =>
    JSON.parse(item.body as string) as ExecutionMeta;

  /** Copies a checkpoint's events to their own items, 25 to a request (BatchWriteItem's limit). */
  const writeEvents = async (meta: ExecutionMeta): Promise<void> => {
    const puts = meta.pendingEvents.map((event) => ({
      PutRequest: {
        Item: { pk: executionKey(meta.executionArn), sk: eventKey(event.id), body: JSON.stringify(event) },
      },
    }));
    for (let start = 0; start < puts.length; start += BATCH_LIMIT) {
      let requests: BatchWriteCommandInput['RequestItems'] = {
        [tableName]: puts.slice(start, start + BATCH_LIMIT),
      };
      for (let attempt = 0; requests && Object.keys(requests).length > 0; attempt += 1) {
        if (attempt === MAX_BATCH_ATTEMPTS)
          throw new Error(`could not write the history events of ${meta.executionArn}`);
        const result: BatchWriteCommandOutput = await documents.send(
          new BatchWriteCommand({ RequestItems: requests }),
        );
        requests = result.UnprocessedItems;
      }
    }
  };

  return {
    async create(meta) {
      try {
        await documents.send(
          new PutCommand({
            TableName: tableName,
            Item: toItem(meta),
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      } catch (error) {
        if ((error as Error).name === 'ConditionalCheckFailedException') return false;
        throw error;
      }
      await writeEvents(meta);
      return true;
    },

    async get(executionArn) {
      const { Item } = await documents.send(
        new GetCommand({
          TableName: tableName,
          Key: { pk: executionKey(executionArn), sk: META },
          ConsistentRead: true,
        }),
      );
      return Item ? fromItem(Item) : undefined;
    },

    async replace(meta, expectedVersion) {
      try {
        await documents.send(
          new PutCommand({
            TableName: tableName,
            Item: toItem(meta),
            ConditionExpression: '#version = :expected',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':expected': expectedVersion },
          }),
        );
      } catch (error) {
        if ((error as Error).name === 'ConditionalCheckFailedException') {
          throw new StaleExecutionError(meta.executionArn, expectedVersion);
        }
        throw error;
      }
      await writeEvents(meta);
    },

    async events(executionArn) {
      const stored: HistoryEvent[] = [];
      let meta: ExecutionMeta | undefined;
      const pages = paginateQuery(
        { client: documents },
        {
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': executionKey(executionArn) },
          ConsistentRead: true,
        },
      );
      for await (const page of pages) {
        for (const item of page.Items ?? []) {
          if (item.sk === META) meta = fromItem(item);
          else stored.push(JSON.parse(item.body as string) as HistoryEvent);
        }
      }
      return meta ? mergeHistory(stored, meta) : [];
    },

    flushPendingEvents: writeEvents,

    async list() {
      const metas: ExecutionMeta[] = [];
      const pages = paginateScan(
        { client: documents },
        {
          TableName: tableName,
          FilterExpression: 'sk = :meta',
          ExpressionAttributeValues: { ':meta': META },
          ConsistentRead: true,
        },
      );
      for await (const page of pages) {
        for (const item of page.Items ?? []) metas.push(fromItem(item));
      }
      return metas;
    },

    async putToken(record) {
      await documents.send(
        new PutCommand({
          TableName: tableName,
          Item: { pk: tokenKey(record.token), sk: 'TOKEN', ...record },
        }),
      );
    },

    async getToken(token) {
      const { Item } = await documents.send(
        new GetCommand({
          TableName: tableName,
          Key: { pk: tokenKey(token), sk: 'TOKEN' },
          ConsistentRead: true,
        }),
      );
      if (!Item) return undefined;
      return {
        token: Item.token as string,
        executionArn: Item.executionArn as string,
        stateName: Item.stateName as string,
      };
    },
  };
}
