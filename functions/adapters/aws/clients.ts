import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';

/** SDK clients built once per container; the composition roots share them. */
export const dynamodbClient = () => new DynamoDBClient({});
export const sfnClient = () => new SFNClient({});
export const sqsClient = () => new SQSClient({});
export const bedrockClient = () => new BedrockRuntimeClient({});
