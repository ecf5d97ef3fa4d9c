import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { answerDynamoDBRequest, closeDynaliteStore, createDynaliteStore } from './dynalite-engine.ts';
import { createDynamoDBHttpServer } from './dynamodb-http-server.ts';
import { type AnswerRequest, answerInProcess } from './in-process-dynamodb.ts';
import { type IndexRepairReport, repairIndexes } from './index-repair.ts';
import { TABLE_DEFINITIONS, type TableName } from './table-definitions.ts';

/**
 * A DynamoDB-compatible store kept on disk (or in memory when no dir is given): a client that calls
 * it in this process, and an HTTP endpoint on the same store for other processes.
 */
export interface EmbeddedDynamoDB {
  /** For clients in other processes; in this one, use `client`, which needs no socket. */
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  /** What the start-up repair of the secondary indexes did; absent when the last close was clean. */
  readonly repair?: IndexRepairReport;
  close(): Promise<void>;
}

export interface EmbeddedDynamoDBOptions {
  /** LevelDB directory; omit for an in-memory store (tests only). */
  dir?: string;
  /** Tables to create if they do not exist yet. */
  tables?: readonly TableName[];
}

/**
 * Written into the store's directory once every request has been answered and the store closed;
 * removed as the store opens. Its absence at start means the last process may have been killed
 * mid-write, so the indexes are repaired (see index-repair.ts) before anything uses the store.
 */
export const CLEAN_CLOSE_MARKER = 'aios-closed-cleanly';
/** How long close waits for requests already being answered, so their writes finish whole. */
const DRAIN_MS = 5_000;

export async function startEmbeddedDynamoDB(
  options: EmbeddedDynamoDBOptions = {},
): Promise<EmbeddedDynamoDB> {
  const marker = options.dir ? join(options.dir, CLEAN_CLOSE_MARKER) : undefined;
  if (options.dir) mkdirSync(options.dir, { recursive: true });
  const closedCleanly = marker !== undefined && existsSync(marker);
  // Gone before the first write: a kill from here on leaves the store marked as possibly torn.
  if (marker) rmSync(marker, { force: true });
  // createTableMs 0: tables are ACTIVE at once; nothing here waits on a real control plane.
  const store = createDynaliteStore({
    path: options.dir,
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  const gate = createRequestGate();
  const answer: AnswerRequest = (target, body) => gate.run(() => answerDynamoDBRequest(store, target, body));
  // One store, two doors: the HTTP endpoint for other processes, a direct call for this one.
  const server = createDynamoDBHttpServer(answer);
  let client: DynamoDBClient | undefined;
  let endpoint: string;
  let repair: IndexRepairReport | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    client = new DynamoDBClient({
      endpoint,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      requestHandler: NEVER_OVER_HTTP,
    });
    answerInProcess(client, answer);
    for (const table of options.tables ?? (Object.keys(TABLE_DEFINITIONS) as TableName[])) {
      await ensureTable(client, table);
    }
    // An in-memory store dies with its process; only one on disk can be torn.
    repair = options.dir && !closedCleanly ? await repairIndexes(client) : undefined;
  } catch (error) {
    // LevelDB lets one opener hold the directory: a failed start must not keep it.
    client?.destroy();
    server.close();
    await closeDynaliteStore(store).catch(() => {});
    throw error;
  }
  const started = client;
  return {
    endpoint,
    client: started,
    ...(repair ? { repair } : {}),
    async close() {
      const serverClosed = new Promise<Error | undefined>((resolve) =>
        server.close((e?: Error) => resolve(e ?? undefined)),
      );
      const drained = await gate.closeAndDrain(DRAIN_MS);
      started.destroy();
      server.closeAllConnections();
      const serverError = await serverClosed;
      const storeError = await closeDynaliteStore(store).then(() => undefined, asError);
      const error = serverError ?? storeError;
      if (marker && drained && !error) writeFileSync(marker, `${new Date().toISOString()}\n`);
    },
  };
}

/** The in-process client answers every request itself; one that reached a socket would be a defect to see at once. */
const NEVER_OVER_HTTP = {
  async handle(): Promise<never> {
    throw new Error('the in-process DynamoDB client sent a request over HTTP');
  },
};

const asError = (value: unknown): Error => (value instanceof Error ? value : new Error(String(value)));

/** Refused once the store is closing: it gets no request it could not finish whole. */
export class StoreClosedError extends Error {
  override name = 'StoreClosedError';
}

/**
 * Counts the requests being answered, from the moment dynalite's action starts until it has
 * answered, which it does only once all of the request's writes are done; a caller that gives up
 * early (an HTTP client hanging up) does not end them sooner.
 */
function createRequestGate() {
  let inFlight = 0;
  let closing = false;
  const waiters = new Set<() => void>();
  const settle = () => {
    inFlight -= 1;
    if (inFlight === 0) for (const wake of waiters) wake();
  };
  return {
    run<T>(answer: () => Promise<T>): Promise<T> {
      if (closing) return Promise.reject(new StoreClosedError('the embedded store is closing'));
      inFlight += 1;
      return answer().finally(settle);
    },
    /** Refuses new requests; resolves true once nothing is in flight, false if that takes longer than `ms`. */
    closeAndDrain(ms: number): Promise<boolean> {
      closing = true;
      if (inFlight === 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(true);
        };
        const timer = setTimeout(() => {
          waiters.delete(wake);
          resolve(false);
        }, ms);
        waiters.add(wake);
      });
    },
  };
}

async function ensureTable(client: DynamoDBClient, table: TableName): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: table }));
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error;
    await client.send(new CreateTableCommand(TABLE_DEFINITIONS[table]));
  }
  // dynalite answers ResourceNotFound while a table is CREATING, even with createTableMs 0.
  await waitUntilTableExists(
    { client, maxWaitTime: 30, minDelay: 0.05, maxDelay: 0.2 },
    { TableName: table },
  );
}
