import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createMemoryWriter } from '../../core/memory/memory-service.ts';
import type { Clock } from '../../core/ports.ts';
import { requireEnv } from '../../shared/config.ts';
import { createDynamoDBMemoryLog } from './dynamodb-memory-log.ts';

/**
 * Memory writes (and the run's session buffer) on AWS: the log in the memory table and nothing else. Apart from memory.ts so that
 * a function that only writes loads neither the OpenSearch signer, the credential chain nor the
 * Bedrock client at a cold start.
 */
export function awsMemoryWriterFromEnv(options: { dynamodb: DynamoDBClient; clock: Clock }) {
  const env = requireEnv(['MEMORY_TABLE']);
  return createMemoryWriter({
    log: createDynamoDBMemoryLog({ client: options.dynamodb, tableName: env.MEMORY_TABLE }),
    clock: options.clock,
  });
}
