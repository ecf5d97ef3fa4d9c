import { dynamodbClient } from '../adapters/aws/clients.ts';
import { awsMemorySearch } from '../api/aws-operator-ports.ts';
import { awsConsoleApp } from '../console/aws-console-app.ts';
import { memoryPages } from '../console/memory-pages.tsx';
import { httpLambdaHandler } from '../shared/http-lambda.ts';

/** The console's memory search on AWS: the console function that reaches OpenSearch and Bedrock. */
export const handler = httpLambdaHandler(
  awsConsoleApp(
    'console-memory',
    memoryPages({ memory: awsMemorySearch({ dynamodb: dynamodbClient() }).service }),
  ),
);
