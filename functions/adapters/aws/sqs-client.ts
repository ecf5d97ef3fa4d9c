import { SQSClient } from '@aws-sdk/client-sqs';

/** The SQS client, built once per container (one module per client: see clients.ts). */
export const sqsClient = () => new SQSClient({});
