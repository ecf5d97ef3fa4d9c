import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type middy from '@middy/core';
import { logger, metrics, metricsEnabled, tracer } from './powertools.ts';

/** The Powertools middlewares every handler starts with: tracing, the Lambda context in logs, metrics. */
export function observability(): middy.MiddlewareObj[] {
  return [
    captureLambdaHandler(tracer),
    injectLambdaContext(logger),
    ...(metricsEnabled ? [logMetrics(metrics)] : []),
  ] as middy.MiddlewareObj[];
}
