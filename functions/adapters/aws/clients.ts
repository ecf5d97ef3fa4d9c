import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * The DynamoDB client, built once per container; the composition roots share it. Each SDK client
 * has a module of its own (sfn-client.ts, sqs-client.ts, bedrock-client.ts): esbuild keeps every
 * import of an external module it bundles past, so one module for all four made each function load
 * all four clients at a cold start, used or not.
 */
export const dynamodbClient = () => new DynamoDBClient({});
