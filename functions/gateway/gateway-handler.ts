import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { isClosedTaskToken } from '../adapters/aws/step-functions.ts';
import {
  CapabilityRejectedError,
  ConnectorUnavailableError,
  OutcomeUnknownError,
  PermanentConnectorError,
  RateLimitedError,
  TransientConnectorError,
} from '../core/errors.ts';
import { type Caller, createGateway, type GatewayDeps, type GatewayRequest } from '../core/gateway.ts';
import type { OrchestratorCallbacks } from '../core/ports.ts';
import { ActionMessageSchema } from '../core/schemas.ts';
import { parseOrThrow } from '../core/validation.ts';
import { observability } from '../shared/observability.ts';
import { logger, metrics } from '../shared/powertools.ts';

/** Errors the orchestrator is told about (its Retry and Catch decide); anything else is redelivered. */
const ANSWERED_ERRORS = [
  TransientConnectorError,
  PermanentConnectorError,
  CapabilityRejectedError,
  RateLimitedError,
  ConnectorUnavailableError,
  OutcomeUnknownError,
];

export interface GatewayHandlerDeps extends GatewayDeps {
  callbacks: OrchestratorCallbacks;
  persistenceStore: BasePersistenceLayer;
}

/**
 * The SQS-fed gateway. Each record: parse the message, execute its intent at most once per
 * idempotency key (Powertools idempotency), then answer the waiting orchestrator task. The
 * answer is sent outside the idempotent section, so a crash after the effect but before the
 * answer re-sends the stored result on redelivery instead of repeating the effect.
 */
export function createGatewayHandler(deps: GatewayHandlerDeps) {
  const gateway = createGateway(deps);
  const idempotency = new IdempotencyConfig({
    eventKeyJmesPath: 'idempotencyKey',
    expiresAfterSeconds: 7 * 86_400,
  });
  // Keyed on the first argument's idempotencyKey; the caller rides along unhashed.
  const executeOnce = makeIdempotent(
    (request: GatewayRequest, caller: Caller) => gateway.execute(request, caller),
    {
      persistenceStore: deps.persistenceStore,
      config: idempotency,
    },
  );
  const processor = new BatchProcessor(EventType.SQS);

  async function answer(send: () => Promise<void>) {
    try {
      await send();
    } catch (error) {
      // Already answered (a redelivered message) or timed out: the orchestrator has moved on.
      if (!isClosedTaskToken(error)) throw error;
      logger.info('task token already closed', { error: (error as Error).name });
    }
  }

  async function processRecord(record: SQSRecord) {
    let body: unknown;
    try {
      body = JSON.parse(record.body);
    } catch {
      throw new Error(`message ${record.messageId} is not JSON`);
    }
    const { taskToken, ...request } = parseOrThrow(
      ActionMessageSchema,
      body,
      `action message ${record.messageId}`,
    );
    logger.appendKeys({ runId: request.runId, stepIndex: request.stepIndex });
    try {
      // Checked before the idempotent section, so even a replay of a finished intent needs a valid grant.
      const caller = await gateway.authorize(request);
      const result = await executeOnce(request, caller);
      metrics.addMetric('ActionSucceeded', 'Count', 1);
      await answer(() => deps.callbacks.taskSucceeded(taskToken, result));
    } catch (error) {
      if (ANSWERED_ERRORS.some((kind) => error instanceof kind)) {
        const { name, message } = error as Error;
        metrics.addMetric(`Action${name.replace(/Error$/, '')}`, 'Count', 1);
        await answer(() => deps.callbacks.taskFailed(taskToken, name, message));
        return;
      }
      // Anything else (store unavailable, an attempt still in progress): leave it for redelivery.
      throw error;
    } finally {
      logger.removeKeys(['runId', 'stepIndex']);
    }
  }

  return middy<SQSEvent, SQSBatchResponse>({ timeoutEarlyInMillis: 0 })
    .use(observability())
    .handler((event: SQSEvent, context: Context) => {
      idempotency.registerLambdaContext(context);
      return processPartialResponse(event, processRecord, processor, {
        context,
        throwOnFullBatchFailure: false,
      });
    });
}
