import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { tracer } from '../../shared/powertools.ts';

/** SDK clients built once per container, traced; the composition roots share them. */
export const dynamodbClient = () => tracer.captureAWSv3Client(new DynamoDBClient({}));
export const sfnClient = () => tracer.captureAWSv3Client(new SFNClient({}));
export const sqsClient = () => tracer.captureAWSv3Client(new SQSClient({}));
export const schedulerClient = () => tracer.captureAWSv3Client(new SchedulerClient({}));
export const bedrockClient = () => tracer.captureAWSv3Client(new BedrockRuntimeClient({}));
