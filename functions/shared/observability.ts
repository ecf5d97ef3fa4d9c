import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type middy from '@middy/core';
import { logger, metrics, metricsEnabled } from './powertools.ts';

/** The Powertools middlewares every handler starts with: the Lambda context in logs, metrics. */
export function observability(): middy.MiddlewareObj[] {
  return [
    injectLambdaContext(logger),
    ...(metricsEnabled ? [logMetrics(metrics)] : []),
  ] as middy.MiddlewareObj[];
}
