import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import {
  AttemptTooLateError,
  CapabilityRejectedError,
  ConnectorUnavailableError,
  OutcomeUnknownError,
  PermanentConnectorError,
  RateLimitedError,
  TransientConnectorError,
} from '../core/errors.ts';
import {
  type AttemptWindow,
  attemptWindow,
  type Caller,
  createGateway,
  type Delivery,
  type GatewayDeps,
  type GatewayRequest,
} from '../core/gateway.ts';
import type { OrchestratorCallbacks, TaskAnswer } from '../core/ports.ts';
import { receiveCountOf } from '../core/release-backoff.ts';
import { ActionMessageSchema, type ActionResult } from '../core/schemas.ts';
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

/**
 * Makes records receivable again now (SQS ChangeMessageVisibility to 0, or the local queue's
 * equivalent) rather than after their visibility timeout, six times the function's timeout.
 */
export type ReleaseRecords = (records: SQSRecord[]) => Promise<void>;

export interface GatewayHandlerDeps extends GatewayDeps {
  callbacks: OrchestratorCallbacks;
  persistenceStore: BasePersistenceLayer;
  /**
   * For records given up untouched because their invocation ran out of time before their effect
   * (AttemptTooLateError): a busy batch then costs a redelivery, not a visibility timeout. Without
   * it they wait the timeout out. Never for a record another attempt holds: that one would come
   * straight back to the same refusal.
   */
  releaseUntouched?: ReleaseRecords;
}

/** What one invocation owns; nothing of it is shared with another invocation running meanwhile. */
interface Invocation {
  executeOnce: (
    request: GatewayRequest,
    caller: Caller,
    window: AttemptWindow,
    delivery: Delivery,
  ) => Promise<ActionResult>;
  window: AttemptWindow;
  log: Logger;
}

/**
 * The SQS-fed gateway. Each record: parse the message, execute its intent at most once per
 * idempotency key (Powertools idempotency), then answer the waiting orchestrator task. The
 * answer is sent outside the idempotent section, so a crash after the effect but before the
 * answer re-sends the stored result on redelivery instead of repeating the effect.
 *
 * Safe to invoke concurrently (the local runtime runs several queue workers on one handler;
 * Lambda runs one event per container at a time): the batch processor, the idempotency
 * configuration (whose Lambda context sets the in-progress expiry) and the logger keys belong
 * to one invocation, never to the handler.
 */
export function createGatewayHandler(deps: GatewayHandlerDeps) {
  const gateway = createGateway(deps);
  const execute = (request: GatewayRequest, caller: Caller, window: AttemptWindow, delivery: Delivery) =>
    gateway.execute(request, caller, window, delivery);

  function startInvocation(context: Context): Invocation {
    const window = attemptWindow(deps.clock.now(), context.getRemainingTimeInMillis());
    const idempotency = new IdempotencyConfig({
      eventKeyJmesPath: 'idempotencyKey',
      expiresAfterSeconds: 7 * 86_400,
      // Completed records only (Powertools never caches one in progress), and a completed record
      // never changes: a duplicate of an action this process finished answers from memory, without
      // a request to the idempotency table.
      useLocalCache: true,
    });
    // The in-progress record keeps duplicates out while this attempt may still start the effect;
    // from then on the intent's lease does, and it knows when its holder died (a redelivery of the
    // same message), which the in-progress record cannot. Never 0: Powertools would set no expiry.
    idempotency.registerLambdaContext({
      ...context,
      getRemainingTimeInMillis: () =>
        Math.max(1, window.startEffectBy.getTime() - deps.clock.now().getTime()),
    });
    const log = logger.createChild();
    log.addContext(context);
    return {
      // Keyed on the first argument's idempotencyKey; the other arguments ride along unhashed.
      executeOnce: makeIdempotent(execute, { persistenceStore: deps.persistenceStore, config: idempotency }),
      window,
      log,
    };
  }

  async function answer(log: Logger, send: () => Promise<TaskAnswer>) {
    const answered = await send();
    // Already answered (a redelivered message) or timed out: the orchestrator has moved on. Logged
    // as a warning with the orchestrator's reason: a first delivery answered this way means a run
    // that waits on this step never hears of it (seen once in a 200-run soak, cause not yet found).
    if (answered.outcome === 'closed')
      log.warn('task token already closed; the answer was not delivered', {
        error: answered.error,
        reason: answered.reason,
      });
  }

  async function processRecord(invocation: Invocation, record: SQSRecord) {
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
    // Records of a batch run at once: each gets its own keys rather than the shared logger's.
    const log = invocation.log.createChild({
      persistentKeys: { runId: request.runId, stepIndex: request.stepIndex, messageId: record.messageId },
    });
    try {
      // Checked before the idempotent section, so even a replay of a finished intent needs a valid grant.
      const caller = await gateway.authorize(request);
      const delivery = {
        messageId: record.messageId,
        receiveCount: receiveCountOf(record),
      };
      const result = await invocation.executeOnce(request, caller, invocation.window, delivery);
      metrics.addMetric('ActionSucceeded', 'Count', 1);
      await answer(log, () => deps.callbacks.taskSucceeded(taskToken, result));
    } catch (error) {
      if (ANSWERED_ERRORS.some((kind) => error instanceof kind)) {
        const { name, message } = error as Error;
        metrics.addMetric(`Action${name.replace(/Error$/, '')}`, 'Count', 1);
        await answer(log, () => deps.callbacks.taskFailed(taskToken, name, message));
        return;
      }
      // Anything else (store unavailable, an attempt still in progress): leave it for redelivery.
      log.info('left for redelivery', {
        error: { name: (error as Error).name, message: (error as Error).message },
      });
      if (error instanceof AttemptTooLateError && deps.releaseUntouched) {
        // Best effort: a record not released still comes back, after its visibility timeout.
        await deps.releaseUntouched([record]).catch((releaseError: unknown) =>
          log.warn('could not release the record for an early redelivery', {
            error: { name: (releaseError as Error).name, message: (releaseError as Error).message },
          }),
        );
      }
      throw error;
    }
  }

  return middy<SQSEvent, SQSBatchResponse>({ timeoutEarlyInMillis: 0 })
    .use(observability())
    .handler((event: SQSEvent, context: Context) => {
      const invocation = startInvocation(context);
      return processPartialResponse(
        event,
        (record: SQSRecord) => processRecord(invocation, record),
        new BatchProcessor(EventType.SQS),
        { context, throwOnFullBatchFailure: false },
      );
    });
}
