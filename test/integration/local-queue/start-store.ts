import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../../lib/local/embedded-dynamodb.ts';

/**
 * Starts the embedded store with the queue table and waits until the table is ACTIVE: dynalite
 * answers ResourceNotFoundException for a table still CREATING, which startEmbeddedDynamoDB does
 * not wait out yet.
 */
export async function startQueueStore(dir?: string): Promise<EmbeddedDynamoDB> {
  const store = await startEmbeddedDynamoDB({ ...(dir ? { dir } : {}), tables: ['aios-local-queue'] });
  for (;;) {
    const { Table } = await store.client.send(new DescribeTableCommand({ TableName: 'aios-local-queue' }));
    if (Table?.TableStatus === 'ACTIVE') return store;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
