import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

const LOCAL_ACCOUNT = '000000000000';

/**
 * A Lambda `Context` for one local invocation. `getRemainingTimeInMillis` counts down from `timeoutMs`
 * in real time, so middy's early-timeout timer and Powertools behave as they do on Lambda.
 */
export function createLocalContext(functionName: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  const requestId = randomUUID();
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  const unsupported = (name: string) => () => {
    throw new Error(
      `context.${name}() is not supported locally: return a value or throw from an async handler`,
    );
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:${LOCAL_ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: '128',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${day}/[$LATEST]${requestId.replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}
