import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDBMemoryLog } from '../../functions/adapters/aws/dynamodb-memory-log.ts';
import { openDiskVectorIndex } from '../../functions/adapters/local/disk-vector-index.ts';
import { createHashingEmbedder } from '../../functions/adapters/local/hashing-embedder.ts';
import type { MemoryApiDeps } from '../../functions/api/memory-routes.ts';
import { createMemoryConsolidator } from '../../functions/core/memory/consolidation.ts';
import { createMemoryIndexer } from '../../functions/core/memory/indexer.ts';
import { createMemoryService, type MemoryService } from '../../functions/core/memory/memory-service.ts';
import type { MemoryLog, VectorIndex } from '../../functions/core/ports/memory.ts';
import type { Clock, ModelPort } from '../../functions/core/ports.ts';
import { type MemoryTailer, startMemoryTailer } from './memory-tailer.ts';
import { TABLE_NAMES } from './table-definitions.ts';

/** Dimensions of the offline embedder: the size of the small sentence-embedding models. */
export const LOCAL_EMBEDDING_DIMENSIONS = 384;

export interface LocalMemory extends MemoryApiDeps {
  readonly service: MemoryService;
  readonly log: MemoryLog;
  readonly index: VectorIndex;
  readonly tailer: MemoryTailer;
  close(): Promise<void>;
}

/**
 * Memory on one machine: the log in the embedded DynamoDB (the same adapter as on AWS), an exact
 * vector index on disk under `<dir>`, the offline embedder, and a tailer in place of the stream.
 */
export async function startLocalMemory(options: {
  client: DynamoDBClient;
  dir: string;
  clock: Clock;
  model: ModelPort;
  onError?: (error: Error) => void;
}): Promise<LocalMemory> {
  const log = createDynamoDBMemoryLog({ client: options.client, tableName: TABLE_NAMES.memory });
  const index = openDiskVectorIndex({ dir: options.dir, dimensions: LOCAL_EMBEDDING_DIMENSIONS });
  const embedder = createHashingEmbedder({ dimensions: LOCAL_EMBEDDING_DIMENSIONS });
  const indexer = createMemoryIndexer({ log, index, embedder });
  await indexer.ensureIndex();
  const tailer = startMemoryTailer({
    log,
    indexer,
    onError: options.onError,
  });
  const service = createMemoryService({
    log,
    index,
    embedder,
    clock: options.clock,
    // Locally a search first indexes whatever the log holds: it reads its own writes.
    beforeSearch: () => tailer.catchUp(),
    afterWrite: () => tailer.nudge(),
  });
  const consolidator = createMemoryConsolidator({
    log,
    memory: service,
    model: options.model,
    clock: options.clock,
  });
  return {
    service,
    log,
    index,
    indexer,
    consolidator,
    tailer,
    async close() {
      await tailer.stop();
      await index.flush();
    },
  };
}

export const memoryDirOf = (dataDir: string) => join(dataDir, 'memory');
