import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { TABLE_DEFINITIONS, type TableName } from './table-definitions.ts';

/** A DynamoDB-compatible server kept on disk (or in memory when no dir is given), plus a client for it. */
export interface EmbeddedDynamoDB {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  close(): Promise<void>;
}

export interface EmbeddedDynamoDBOptions {
  /** LevelDB directory; omit for an in-memory store (tests only). */
  dir?: string;
  /** Tables to create if they do not exist yet. */
  tables?: readonly TableName[];
}

export async function startEmbeddedDynamoDB(
  options: EmbeddedDynamoDBOptions = {},
): Promise<EmbeddedDynamoDB> {
  if (options.dir) mkdirSync(options.dir, { recursive: true });
  // createTableMs 0: tables are ACTIVE at once; nothing here waits on a real control plane.
  const server = dynalite({ path: options.dir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
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
  return {
    endpoint,
    client,
    async close() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
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
