import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);
/** lib-dynamodb's document commands carry their own names; count them as the API call they make. */
export const DOCUMENT_TO_API: Record<string, string> = {
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  Get: 'GetItem',
  BatchWrite: 'BatchWriteItem',
  BatchGet: 'BatchGetItem',
  TransactWrite: 'TransactWriteItems',
  TransactGet: 'TransactGetItems',
};

export interface RequestCounts {
  /** Requests by DynamoDB API name (PutItem, Query, ...). */
  readonly byOperation: Readonly<Record<string, number>>;
  /** Write requests by table. */
  readonly writesByTable: Readonly<Record<string, number>>;
  readonly writes: number;
  readonly total: number;
}

export interface RequestCounter {
  reset(): void;
  snapshot(): RequestCounts;
}

/** Counts the requests a DynamoDB client sends (one middleware on its stack, shared by document clients made from it). */
export function countRequests(client: DynamoDBClient): RequestCounter {
  let byOperation: Record<string, number> = {};
  let writesByTable: Record<string, number> = {};
  client.middlewareStack.add(
    (next, context) => (args) => {
      const name = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      const operation = DOCUMENT_TO_API[name] ?? name;
      byOperation[operation] = (byOperation[operation] ?? 0) + 1;
      if (WRITES.has(operation)) {
        const table = (args.input as { TableName?: string }).TableName ?? `(${operation})`;
        writesByTable[table] = (writesByTable[table] ?? 0) + 1;
      }
      return next(args);
    },
    { step: 'initialize', name: 'benchRequestCounter' },
  );
  return {
    reset() {
      byOperation = {};
      writesByTable = {};
    },
    snapshot() {
      const entries = Object.entries(byOperation);
      return {
        byOperation: { ...byOperation },
        writesByTable: { ...writesByTable },
        writes: entries.filter(([op]) => WRITES.has(op)).reduce((sum, [, n]) => sum + n, 0),
        total: entries.reduce((sum, [, n]) => sum + n, 0),
      };
    },
  };
}
