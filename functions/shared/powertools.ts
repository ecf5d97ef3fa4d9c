import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/**
 * The one set of Powertools singletons; every handler imports these. No Powertools tracer: its X-Ray
 * SDK (with cls-hooked and semver, about 115 KiB minified) was the largest part of every bundle and
 * its cold import, for subsegments of the SDK calls. Active tracing stays on for every Lambda
 * function, the API and the state machine (lib/cloud), so X-Ray still shows each invocation with its
 * initialisation and the path of a run through them.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'aios' });
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'aios',
  serviceName: 'aios',
});

/**
 * Locally there is no CloudWatch: the EMF flush is skipped rather than run to print nothing
 * (and to warn on every invocation that nothing was printed). Stored metrics stay bounded:
 * Powertools flushes its buffer every 100 metrics.
 */
export const metricsEnabled = process.env.POWERTOOLS_METRICS_DISABLED !== 'true';
