import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { startEmbeddedDynamoDB } from '../lib/local/embedded-dynamodb.ts';
import type { TableName } from '../lib/local/table-definitions.ts';
import { DOCUMENT_TO_API } from './request-counter.ts';

/** One request as the store received it: the API operation and its wire input (attribute values marshalled). */
export interface RecordedRequest {
  operation: string;
  input: Record<string, unknown>;
}

export interface RequestRecorder {
  reset(): void;
  take(): RecordedRequest[];
}

/**
 * Records every request a client sends, after lib-dynamodb has marshalled it (the `build` step
 * comes after `serialize`), so that it can be sent again as a plain DynamoDB command.
 */
export function recordRequests(client: DynamoDBClient): RequestRecorder {
  let recorded: RecordedRequest[] = [];
  client.middlewareStack.add(
    (next, context) => (args) => {
      const name = (context.commandName ?? '').replace(/Command$/, '');
      recorded.push({
        operation: DOCUMENT_TO_API[name] ?? name,
        input: structuredClone(args.input as Record<string, unknown>),
      });
      return next(args);
    },
    { step: 'build', name: 'benchRequestRecorder' },
  );
  return {
    reset() {
      recorded = [];
    },
    take() {
      const taken = recorded;
      recorded = [];
      return taken;
    },
  };
}

type Send = (client: DynamoDBClient, input: Record<string, unknown>) => Promise<unknown>;
const COMMANDS: Record<string, Send> = {
  PutItem: (c, i) => c.send(new PutItemCommand(i as never)),
  GetItem: (c, i) => c.send(new GetItemCommand(i as never)),
  UpdateItem: (c, i) => c.send(new UpdateItemCommand(i as never)),
  DeleteItem: (c, i) => c.send(new DeleteItemCommand(i as never)),
  Query: (c, i) => c.send(new QueryCommand(i as never)),
  Scan: (c, i) => c.send(new ScanCommand(i as never)),
  BatchWriteItem: (c, i) => c.send(new BatchWriteItemCommand(i as never)),
  BatchGetItem: (c, i) => c.send(new BatchGetItemCommand(i as never)),
  TransactWriteItems: (c, i) => c.send(new TransactWriteItemsCommand(i as never)),
};

export interface Replay {
  ms: number;
  requests: number;
  /** Conditional writes the fresh store refused (it lacks what earlier runs wrote); answered all the same. */
  refused: number;
}

/** The median of `rounds` replays, each on a fresh store: one replay on a shared machine is noisy. */
export async function storeFloor(
  requests: readonly RecordedRequest[],
  tables?: readonly TableName[],
  extraTables?: (client: DynamoDBClient) => Promise<void>,
  rounds = 3,
  where: StoreMedium = 'disk',
): Promise<Replay> {
  const replays: Replay[] = [];
  for (let i = 0; i < rounds; i += 1)
    replays.push(await replayOnRawStore(requests, tables, extraTables, where));
  replays.sort((a, b) => a.ms - b.ms);
  return replays[Math.floor(replays.length / 2)] as Replay;
}

/**
 * Where the replayed store keeps its items: on disk (LevelDB, as `aios dev`), or in memory, which
 * shows how much of a request is the disk and how much the protocol path (the SDK's serializer,
 * dynalite's validation and expression evaluation) that any DynamoDB-compatible store has too.
 */
export type StoreMedium = 'disk' | 'memory';

/**
 * The same requests, one after another, on a fresh embedded store (the engine's own tables): what
 * the store alone costs for them, with no engine around it. The requests of a run that overlapped
 * (the gateway's worker beside the interpreter) go one at a time here.
 */
export async function replayOnRawStore(
  requests: readonly RecordedRequest[],
  /** Every table of the local runtime when not given. */
  tables?: readonly TableName[],
  extraTables: (client: DynamoDBClient) => Promise<void> = async () => undefined,
  where: StoreMedium = 'disk',
): Promise<Replay> {
  const dir = mkdtempSync(join(tmpdir(), 'aios-store-floor-'));
  try {
    const db = await startEmbeddedDynamoDB({ ...(where === 'disk' && { dir }), ...(tables && { tables }) });
    try {
      await extraTables(db.client);
      let refused = 0;
      const send = async (request: RecordedRequest) => {
        const command = COMMANDS[request.operation];
        if (!command) throw new Error(`cannot replay ${request.operation}`);
        try {
          await command(db.client, request.input);
        } catch (error) {
          const name = (error as Error).name;
          if (name !== 'ConditionalCheckFailedException' && name !== 'TransactionCanceledException')
            throw error;
          refused += 1;
        }
      };
      // Warm-up: the first requests open the table files.
      for (const request of requests.slice(0, 20)) await send(request);
      refused = 0;
      const started = performance.now();
      for (const request of requests) await send(request);
      return { ms: performance.now() - started, requests: requests.length, refused };
    } finally {
      await db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
