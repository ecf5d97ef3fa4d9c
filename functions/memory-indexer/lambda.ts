import { dynamodbClient } from '../adapters/aws/clients.ts';
import { awsMemoryFromEnv } from '../adapters/aws/memory.ts';
import { systemClock } from '../adapters/system-clock.ts';
import { createMemoryIndexerHandler } from './indexer-handler.ts';

const memory = awsMemoryFromEnv({ dynamodb: dynamodbClient(), clock: systemClock });

export const handler = createMemoryIndexerHandler({ indexer: memory.indexer });
