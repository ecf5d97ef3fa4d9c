import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

/** The one set of Powertools singletons; every handler imports these. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'aios' });
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'aios',
  serviceName: 'aios',
});
export const tracer = new Tracer({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'aios' });

/**
 * Locally there is no CloudWatch: the EMF flush is skipped rather than run to print nothing
 * (and to warn on every invocation that nothing was printed). Stored metrics stay bounded:
 * Powertools flushes its buffer every 100 metrics.
 */
export const metricsEnabled = process.env.POWERTOOLS_METRICS_DISABLED !== 'true';
