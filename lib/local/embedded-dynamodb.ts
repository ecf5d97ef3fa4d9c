import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { type IndexRepairReport, repairIndexes } from './index-repair.ts';
import { TABLE_DEFINITIONS, type TableName } from './table-definitions.ts';

/** A DynamoDB-compatible server kept on disk (or in memory when no dir is given), plus a client for it. */
export interface EmbeddedDynamoDB {
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
  const server = dynalite({ path: options.dir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const requests = trackRequests(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
  });
  for (const table of options.tables ?? (Object.keys(TABLE_DEFINITIONS) as TableName[])) {
    await ensureTable(client, table);
  }
  // An in-memory store dies with its process; only one on disk can be torn.
  const repair = options.dir && !closedCleanly ? await repairIndexes(client) : undefined;
  return {
    endpoint,
    client,
    ...(repair ? { repair } : {}),
    async close() {
      const drained = await requests.idle(DRAIN_MS);
      client.destroy();
      const error = await new Promise<Error | undefined>((resolve) =>
        server.close((e?: Error) => resolve(e ?? undefined)),
      );
      if (marker && drained && !error && requests.inFlight() === 0)
        writeFileSync(marker, `${new Date().toISOString()}\n`);
    },
  };
}

/**
 * Counts requests from arrival until dynalite calls `end` on the response, which it does only once
 * all of the request's writes are done; a client that hangs up early does not end them sooner. A
 * request whose body never arrived whole never reached dynalite's action, so its hang-up ends it.
 */
function trackRequests(server: ReturnType<typeof dynalite>) {
  let inFlight = 0;
  const waiters = new Set<() => void>();
  server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => {
    inFlight += 1;
    let done = false;
    const settle = () => {
      if (done) return;
      done = true;
      inFlight -= 1;
      if (inFlight === 0) for (const wake of waiters) wake();
    };
    let received = false;
    request.once('end', () => {
      received = true;
    });
    response.once('close', () => {
      if (!received) settle();
    });
    const end = response.end;
    response.end = function (this: ServerResponse, ...args: unknown[]) {
      settle();
      return (end as (...a: unknown[]) => ServerResponse).apply(this, args);
    } as ServerResponse['end'];
  });
  return {
    inFlight: () => inFlight,
    /** Resolves true once nothing is in flight, false if that takes longer than `ms`. */
    idle(ms: number): Promise<boolean> {
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
