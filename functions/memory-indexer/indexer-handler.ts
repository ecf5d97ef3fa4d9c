import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import middy from '@middy/core';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { memoryIdFromKey, memoryItemFromImage } from '../adapters/aws/dynamodb-memory-log.ts';
import type { MemoryIndexer } from '../core/memory/indexer.ts';
import { observability } from '../shared/observability.ts';
import { metrics } from '../shared/powertools.ts';

const image = (value: Record<string, unknown> | undefined) =>
  value ? unmarshall(value as Record<string, AttributeValue>) : undefined;

/**
 * The memory table's stream (NEW_IMAGE) → the vector index. Each record is applied on its own, so
 * one bad record is retried alone (partial batch response) and never holds up the others; a
 * re-delivery is harmless because the index keeps the newest version of each item.
 */
export function createMemoryIndexerHandler(deps: { indexer: MemoryIndexer }) {
  const processor = new BatchProcessor(EventType.DynamoDBStreams);

  async function processRecord(record: DynamoDBRecord) {
    if (record.eventName === 'REMOVE') {
      // TTL deleted a working item's version: index what is left of the item, or drop it.
      const id = memoryIdFromKey(image(record.dynamodb?.Keys as Record<string, unknown>) ?? {});
      if (id) await deps.indexer.removed(id);
      return;
    }
    const newImage = image(record.dynamodb?.NewImage as Record<string, unknown> | undefined);
    const item = newImage ? memoryItemFromImage(newImage) : undefined;
    if (!item) return; // a cursor, the building marker or a session entry: nothing to index
    await deps.indexer.apply([item]);
    metrics.addMetric('MemoryIndexed', 'Count', 1);
  }

  return middy<DynamoDBStreamEvent, DynamoDBBatchResponse>({ timeoutEarlyInMillis: 0 })
    .use(observability())
    .handler((event: DynamoDBStreamEvent, context: Context) =>
      processPartialResponse(event, processRecord, processor, { context }),
    );
}
