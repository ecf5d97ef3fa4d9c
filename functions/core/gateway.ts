import type { ConnectorCatalogue } from './connector.ts';
import { ConflictError, PermanentConnectorError, TransientConnectorError } from './errors.ts';
import type { Clock, StateStore } from './ports.ts';
import type { ActionMessage, ActionResult, Intent } from './schemas.ts';
import { parseOrThrow } from './validation.ts';

export interface GatewayDeps {
  store: StateStore;
  connectors: ConnectorCatalogue;
  clock: Clock;
}

export type GatewayRequest = Omit<ActionMessage, 'taskToken'>;

/**
 * Executes one recorded intent. The intent must exist (intent before effect); an intent that
 * already succeeded returns its recorded result without a second effect; one left EXECUTING by a
 * crash runs again with the same idempotency key, which connectors pass on so the provider
 * dedupes it.
 */
export function createGateway(deps: GatewayDeps) {
  const now = () => deps.clock.now().toISOString();

  return {
    async execute(request: GatewayRequest): Promise<ActionResult> {
      const intent = await deps.store.getIntent(request.runId, request.stepIndex);
      if (!intent) {
        throw new PermanentConnectorError(
          `no intent is recorded for run ${request.runId} step ${request.stepIndex}; refusing an effect without one`,
        );
      }
      if (intent.idempotencyKey !== request.idempotencyKey) {
        throw new PermanentConnectorError(
          `the message's idempotency key does not match the recorded intent of run ${request.runId} step ${request.stepIndex}`,
        );
      }
      if (intent.status === 'SUCCEEDED' && intent.result) return intent.result;
      if (intent.status === 'DENIED' || intent.decision !== 'allow') {
        throw new PermanentConnectorError(
          `step ${intent.stepId} was not allowed by the policy: ${intent.reason}`,
        );
      }
      if (intent.status === 'FAILED') {
        throw new PermanentConnectorError(
          `step ${intent.stepId} already failed: ${intent.error ?? 'unknown error'}`,
        );
      }
      const connector = deps.connectors.get(intent.action.type);
      if (!connector) throw new PermanentConnectorError(`no connector handles ${intent.action.type}`);
      // Validated against the recorded action, never the message, so a tampered message cannot change the effect.
      let params: unknown;
      try {
        params = parseOrThrow(
          connector.paramsSchema,
          intent.action.params,
          `parameters of ${intent.action.type}`,
        );
      } catch (error) {
        await markFailed(intent, (error as Error).message);
        throw new PermanentConnectorError((error as Error).message, { cause: error });
      }
      const attempts = intent.attempts + 1;
      await deps.store.updateIntent(intent.runId, intent.stepIndex, ['RECORDED', 'EXECUTING'], {
        status: 'EXECUTING',
        attempts,
        startedAt: intent.startedAt ?? now(),
      });
      const started = Date.now();
      try {
        const output = await connector.execute(params, {
          idempotencyKey: intent.idempotencyKey,
          runId: intent.runId,
          stepIndex: intent.stepIndex,
          now: deps.clock.now(),
        });
        const result: ActionResult = { ok: true, output, durationMs: Date.now() - started, attempts };
        await deps.store.updateIntent(intent.runId, intent.stepIndex, ['EXECUTING'], {
          status: 'SUCCEEDED',
          result,
          error: undefined,
          finishedAt: now(),
        });
        await deps.store.appendJournal({
          runId: intent.runId,
          at: now(),
          kind: 'effect',
          message: `step ${intent.stepIndex + 1} ${intent.stepId}: ${intent.action.type} done (attempt ${attempts})`,
          data: {
            stepIndex: intent.stepIndex,
            idempotencyKey: intent.idempotencyKey,
            output,
            durationMs: result.durationMs,
          },
        });
        return result;
      } catch (error) {
        const message = (error as Error).message;
        if (error instanceof TransientConnectorError) {
          // Back to RECORDED: the orchestrator's retry will bring the same intent again.
          await deps.store.updateIntent(intent.runId, intent.stepIndex, ['EXECUTING'], {
            status: 'RECORDED',
            error: message,
          });
          await journalFailure(intent, attempts, message, true);
          throw error;
        }
        await markFailed(intent, message);
        await journalFailure(intent, attempts, message, false);
        if (error instanceof PermanentConnectorError) throw error;
        throw new PermanentConnectorError(message, { cause: error });
      }
    },
  };

  async function markFailed(intent: Intent, message: string) {
    try {
      await deps.store.updateIntent(intent.runId, intent.stepIndex, ['RECORDED', 'EXECUTING'], {
        status: 'FAILED',
        error: message,
        finishedAt: now(),
      });
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }

  async function journalFailure(intent: Intent, attempts: number, message: string, transient: boolean) {
    await deps.store.appendJournal({
      runId: intent.runId,
      at: now(),
      kind: 'effect',
      message: `step ${intent.stepIndex + 1} ${intent.stepId}: ${intent.action.type} failed (${transient ? 'transient' : 'permanent'}, attempt ${attempts}): ${message}`,
      data: { stepIndex: intent.stepIndex, transient, error: message },
    });
  }
}
