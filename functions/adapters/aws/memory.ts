import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { createMemoryIndexer } from '../../core/memory/indexer.ts';
import { createMemoryService } from '../../core/memory/memory-service.ts';
import type { Clock } from '../../core/ports.ts';
import { requireEnv } from '../../shared/config.ts';
import { bedrockClient } from './bedrock-client.ts';
import { createDynamoDBMemoryLog } from './dynamodb-memory-log.ts';
import { createOpenSearchHttp } from './opensearch-http.ts';
import { createOpenSearchVectorIndex } from './opensearch-vector-index.ts';
import { createTitanEmbedder, type TitanDimensions } from './titan-embedder.ts';

/** The variables every memory-using function gets from the Memory construct. */
export const MEMORY_ENV = [
  'MEMORY_TABLE',
  'MEMORY_ENDPOINT',
  'EMBEDDING_MODEL_ID',
  'EMBEDDING_DIMENSIONS',
] as const;

/**
 * Memory on AWS: the log in the memory table, the OpenSearch domain (SigV4, service `es`) and
 * Titan embeddings. Built once per container by a composition root.
 */
export function awsMemoryFromEnv(options: { dynamodb: DynamoDBClient; clock: Clock }) {
  const env = requireEnv([...MEMORY_ENV, 'AWS_REGION']);
  const dimensions = Number(env.EMBEDDING_DIMENSIONS);
  if (![256, 512, 1024].includes(dimensions)) {
    throw new Error(`EMBEDDING_DIMENSIONS must be 256, 512 or 1024, got ${env.EMBEDDING_DIMENSIONS}`);
  }
  const client = createOpenSearchHttp({
    node: `https://${env.MEMORY_ENDPOINT}`,
    region: env.AWS_REGION,
    service: 'es',
    credentials: defaultProvider(),
  });
  const log = createDynamoDBMemoryLog({ client: options.dynamodb, tableName: env.MEMORY_TABLE });
  const index = createOpenSearchVectorIndex({ client, dimensions });
  const embedder = createTitanEmbedder({
    client: bedrockClient(),
    modelId: env.EMBEDDING_MODEL_ID,
    dimensions: dimensions as TitanDimensions,
  });
  const service = createMemoryService({ log, index, embedder, clock: options.clock });
  const indexer = createMemoryIndexer({ log, index, embedder });
  return { log, index, embedder, service, indexer };
}
