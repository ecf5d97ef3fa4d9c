import { randomUUID } from 'node:crypto';
import { type Grant, type GrantSigner, verifyGrant } from './capability.ts';
import type { Connector, ConnectorCatalogue } from './connector.ts';
import {
  AttemptNotStartedError,
  AttemptTooLateError,
  CapabilityRejectedError,
  ConflictError,
  ConnectorUnavailableError,
  CredentialRefusedError,
  LeaseLostError,
  OutcomeUnknownError,
  PermanentConnectorError,
  RateLimitedError,
  TransientConnectorError,
} from './errors.ts';
import type { BreakerPolicy, CircuitBreaker, Clock, RateLimit, RateLimiter, StateStore } from './ports.ts';
import type { ActionMessage, ActionResult, AuditEntry, Intent, JournalEntry } from './schemas.ts';
import { parseOrThrow } from './validation.ts';

export interface GatewayLimits {
  rateLimit: RateLimit;
  breaker: BreakerPolicy;
}

export interface GatewayDeps {
  store: StateStore;
  connectors: ConnectorCatalogue;
  clock: Clock;
  signer: GrantSigner;
  limiter: RateLimiter;
  breaker: CircuitBreaker;
  /** Rate limit and breaker settings of an action type. */
  limitsOf: (actionType: string) => GatewayLimits | undefined;
}

export type GatewayRequest = Omit<ActionMessage, 'taskToken'>;

/**
 * The time one attempt has, cut from its invocation's: the effect starts within the first three
 * quarters, is aborted at 95 %, and the rest records the result and answers, all before the claim
 * on the intent lapses with the invocation. The message's visibility timeout (six times the
 * function timeout) is far beyond, so no redelivery meets an attempt still in its call. An attempt
 * that gives up waits out that timeout, so the effect's own window is the smaller share: on AWS
 * (60 s) it is still 12 s or more, and locally every connector can repeat safely.
 */
export interface AttemptWindow {
  /** The invocation's end; the attempt's claim on the intent (its lease) lapses then. */
  leaseUntil: Date;
  /** The last moment an effect may start; a later one is left to a redelivery. */
  startEffectBy: Date;
  /** The connector call is aborted then. */
  effectDeadline: Date;
}

/** The window of an invocation that has `remainingMs` left at `now`. */
export function attemptWindow(now: Date, remainingMs: number): AttemptWindow {
  const at = (fraction: number) => new Date(now.getTime() + Math.floor(remainingMs * fraction));
  return { leaseUntil: at(1), startEffectBy: at(0.75), effectDeadline: at(0.95) };
}

/** Without a window from an invocation: the gateway function's timeout on AWS. */
const DEFAULT_ATTEMPT_MS = 60_000;

/** Which receive of which queue message carries an attempt; it names the attempt's lease. */
export interface Delivery {
  messageId: string;
  /** SQS ApproximateReceiveCount: 1 for the first receive. */
  receiveCount: number;
}

const leaseOwnerOf = (delivery: Delivery | undefined) =>
  delivery ? `${delivery.messageId}#${delivery.receiveCount}` : randomUUID();

/**
 * Whether the lease is held by an earlier receive of the same message. That attempt has ended:
 * a message comes back only after its visibility timeout (six times the function timeout), or
 * when the local runtime restarts after its process died, so its lease can go at once.
 */
function heldByEarlierReceive(owner: string | undefined, delivery: Delivery | undefined): boolean {
  if (owner === undefined || delivery === undefined) return false;
  const at = owner.lastIndexOf('#');
  if (at < 0) return false;
  return owner.slice(0, at) === delivery.messageId && Number(owner.slice(at + 1)) < delivery.receiveCount;
}

/** Who asked, once the grant has been checked; carried into the audit log. */
export interface Caller {
  agent: string;
  grantId: string;
}

/**
 * The one door every side effect passes. `authorize` checks the caller's capability grant;
 * `execute` runs one recorded intent at most once per idempotency key, inside the connector's
 * rate limit and circuit breaker, and writes every attempt to the audit log.
 */
export function createGateway(deps: GatewayDeps) {
  const now = () => deps.clock.now();

  const auditEntry = (
    intent: Pick<Intent, 'runId' | 'stepIndex' | 'idempotencyKey'> & { actionType: string },
    entry: Omit<AuditEntry, 'runId' | 'stepIndex' | 'at' | 'actionType' | 'idempotencyKey'>,
  ): AuditEntry => ({
    runId: intent.runId,
    stepIndex: intent.stepIndex,
    idempotencyKey: intent.idempotencyKey,
    actionType: intent.actionType,
    at: now().toISOString(),
    ...entry,
  });

  async function audit(...entry: Parameters<typeof auditEntry>) {
    await deps.store.appendAudit(auditEntry(...entry));
  }

  async function setStatus(
    intent: Intent,
    from: Intent['status'][],
    patch: Partial<Intent>,
    leaseOwner?: string,
  ) {
    try {
      await deps.store.updateIntent(intent.runId, intent.stepIndex, from, patch, { leaseOwner });
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }

  /** An attempt gone, with or without its effect: the claim goes with it. */
  const unleased = { leaseOwner: undefined, leaseExpiresAt: undefined } as const;

  /**
   * What an error of a call stopped at its deadline means: the request may have reached the
   * provider, so only a connector whose repeat is safe may be retried. A definite refusal
   * (permanent) or a declared unknown outcome keeps its meaning.
   */
  function classifyAborted(error: unknown, connector: Connector, signal: AbortSignal, type: string): unknown {
    if (!signal.aborted || error instanceof PermanentConnectorError || error instanceof OutcomeUnknownError)
      return error;
    return connector.idempotent
      ? new TransientConnectorError(`${type} did not finish before its deadline; it is safe to repeat`, {
          cause: error,
        })
      : new OutcomeUnknownError(
          `${type} was stopped at its deadline and may have taken effect; repeating it is not safe, check and resolve it by hand`,
          { cause: error },
        );
  }

  const journalEntry = (intent: Intent, message: string, data: Record<string, unknown>): JournalEntry => ({
    runId: intent.runId,
    at: now().toISOString(),
    kind: 'effect',
    message: `step ${intent.stepIndex + 1} ${intent.stepId}: ${message}`,
    data: { stepIndex: intent.stepIndex, idempotencyKey: intent.idempotencyKey, ...data },
  });

  async function journal(...entry: Parameters<typeof journalEntry>) {
    await deps.store.appendJournal(journalEntry(...entry));
  }

  /** The step a compensating intent undid is COMPENSATED, and the audit log says so on that step. */
  async function markCompensated(
    compensation: Intent,
    who: { agent: string; grantId: string },
    output: Record<string, unknown>,
  ) {
    const original = compensation.compensates;
    if (original === undefined) return;
    const undone = await deps.store.getIntent(compensation.runId, original);
    if (!undone) return;
    await setStatus(undone, ['SUCCEEDED'], { status: 'COMPENSATED' });
    await audit(
      { ...undone, actionType: undone.action.type },
      {
        outcome: 'compensated',
        ...who,
        reason: `undone by ${compensation.action.type} (step ${compensation.stepIndex})`,
        result: output,
      },
    );
  }

  return {
    /** Checks the grant against the message; a rejection is audited and nothing else happens. */
    async authorize(request: GatewayRequest): Promise<Caller> {
      const check = await verifyGrant(
        deps.signer,
        request.grant,
        { runId: request.runId, stepIndex: request.stepIndex, actionType: request.action.type },
        now(),
      );
      if (check.ok) return { agent: check.grant.agent, grantId: check.grant.id };
      await audit(
        { ...request, actionType: request.action.type },
        {
          outcome: 'rejected',
          agent: check.grant?.agent ?? 'unknown',
          grantId: check.grant?.id,
          reason: check.reason,
        },
      );
      throw new CapabilityRejectedError(check.reason);
    },

    async execute(
      request: GatewayRequest,
      caller: Caller,
      window: AttemptWindow = attemptWindow(now(), DEFAULT_ATTEMPT_MS),
      delivery?: Delivery,
    ): Promise<ActionResult> {
      // The run is read with the intent: whether it was cancelled or has ended decides below. The
      // breaker of a limited connector too, for allow() below: one read instead of two. A message
      // whose action is not the intent's is refused before either is used.
      const limits = deps.limitsOf(request.action.type);
      const { intent, run, breaker } = limits
        ? await deps.store.getIntentWithRunAndBreaker(request.runId, request.stepIndex, request.action.type)
        : { ...(await deps.store.getIntentWithRun(request.runId, request.stepIndex)), breaker: undefined };
      const who = { agent: caller.agent, grantId: caller.grantId };
      const reject = async (reason: string, actionType = request.action.type): Promise<never> => {
        await audit({ ...request, actionType }, { outcome: 'rejected', ...who, reason });
        throw new PermanentConnectorError(reason);
      };
      if (!intent) {
        return reject(
          `no intent is recorded for run ${request.runId} step ${request.stepIndex}; refusing an effect without one`,
        );
      }
      if (intent.idempotencyKey !== request.idempotencyKey) {
        return reject(
          `the message's idempotency key does not match the recorded intent of run ${request.runId} step ${request.stepIndex}`,
        );
      }
      // The recorded action is the truth: a message whose action differs is not what was planned.
      if (intent.action.type !== request.action.type) {
        return reject(
          `the message asks for ${request.action.type}, the recorded intent is ${intent.action.type}`,
        );
      }
      const subject = { ...intent, actionType: intent.action.type };
      if (intent.status === 'SUCCEEDED' && intent.result) {
        await audit(subject, {
          outcome: 'replayed',
          ...who,
          reason: 'already executed; the recorded result is returned',
          result: intent.result.output,
        });
        return intent.result;
      }
      if (intent.status === 'SHADOWED' && intent.result) return intent.result;
      if (intent.decision !== 'allow' || !['RECORDED', 'EXECUTING'].includes(intent.status)) {
        return reject(
          `step ${intent.stepId} is ${intent.status} (${intent.decision ?? 'no decision'}: ${intent.reason ?? ''}); it may not run`,
        );
      }
      const connector = deps.connectors.get(intent.action.type);
      if (!connector) return reject(`no connector handles ${intent.action.type}`);
      let params: unknown;
      try {
        params = parseOrThrow(
          connector.paramsSchema,
          intent.action.params,
          `parameters of ${intent.action.type}`,
        );
      } catch (error) {
        const reason = (error as Error).message;
        await setStatus(intent, ['RECORDED', 'EXECUTING'], {
          status: 'FAILED',
          error: reason,
          finishedAt: now().toISOString(),
        });
        return reject(reason);
      }

      // A message already on the queue when the operator cancelled the run: it makes no effect.
      if (run?.status === 'CANCELLED' && intent.compensates === undefined) {
        return reject(`run ${intent.runId} was cancelled; step ${intent.stepId} is not executed`);
      }
      // A run that has ended (a step timed out, it failed) starts no new effect of its plan: a
      // message still queued for it would act after its compensation was planned, and nothing
      // would undo it. Its compensating actions, which run after the end, go on.
      if (run && run.status !== 'RUNNING' && intent.compensates === undefined) {
        return reject(
          `run ${intent.runId} is ${run.status}; its step ${intent.stepId} may no longer start an effect`,
        );
      }
      if (run?.mode === 'shadow' && connector.risk !== 'read') {
        const result: ActionResult = {
          ok: true,
          output: { shadow: true, proposed: intent.action },
          durationMs: 0,
          attempts: 0,
        };
        await setStatus(intent, ['RECORDED'], {
          status: 'SHADOWED',
          result,
          finishedAt: now().toISOString(),
        });
        await audit(subject, {
          outcome: 'shadowed',
          ...who,
          decision: 'allow',
          reason: 'shadow mode: proposed and recorded, not executed',
        });
        return result;
      }

      if (intent.status === 'EXECUTING') {
        // Another attempt is in its call (a duplicate delivery): it answers; this one waits for redelivery.
        const live = intent.leaseExpiresAt !== undefined && intent.leaseExpiresAt >= now().toISOString();
        if (live && !heldByEarlierReceive(intent.leaseOwner, delivery)) {
          throw new AttemptNotStartedError(
            `another attempt holds ${intent.action.type} of run ${intent.runId} step ${intent.stepIndex} until ${intent.leaseExpiresAt}`,
          );
        }
        // A previous attempt got as far as the effect and then died: only a connector whose repeat
        // is safe may go again; otherwise the operator decides, nobody guesses.
        if (!connector.idempotent) {
          const reason = `an earlier attempt of ${intent.action.type} may have taken effect and repeating it is not safe; check and resolve it by hand`;
          try {
            await deps.store.updateIntent(
              intent.runId,
              intent.stepIndex,
              ['EXECUTING'],
              { status: 'OUTCOME_UNKNOWN', error: reason, finishedAt: now().toISOString(), ...unleased },
              { leaseOwner: intent.leaseOwner },
            );
          } catch (error) {
            if (!(error instanceof ConflictError)) throw error;
            // That attempt recorded its end meanwhile: the redelivery reads it.
            throw new AttemptNotStartedError(`step ${intent.stepId} changed while it was being checked`);
          }
          await audit(subject, { outcome: 'outcome-unknown', ...who, reason });
          await journal(intent, `${intent.action.type} outcome unknown: ${reason}`, { outcome: 'unknown' });
          throw new OutcomeUnknownError(reason);
        }
      }

      // Whether this attempt is the half-open breaker's probe: only its success changes the breaker
      // (it closes it), so a success let through a closed breaker records nothing, not even a read.
      let probe = false;
      if (limits) {
        // The token first: a half-open probe handed out and then throttled would idle until its lease ends.
        const token = await deps.limiter.tryAcquire(intent.action.type, limits.rateLimit, now());
        if (!token.granted) {
          const reason = `the ${intent.action.type} rate limit (${limits.rateLimit.ratePerSecond}/s) is reached; retry in ${token.retryAfterMs} ms`;
          await audit(subject, { outcome: 'throttled', ...who, reason });
          throw new RateLimitedError(reason);
        }
        const gate = await deps.breaker.allow(intent.action.type, limits.breaker, now(), breaker);
        if (!gate.allowed) {
          const reason = `the ${intent.action.type} circuit breaker is ${gate.state}; retry in ${Math.ceil(gate.retryAfterMs / 1000)} s`;
          await audit(subject, { outcome: 'breaker-open', ...who, reason });
          throw new ConnectorUnavailableError(reason);
        }
        probe = gate.state === 'half-open';
      }

      const tooLate = () =>
        new AttemptTooLateError(
          `too little of this attempt's time is left to start ${intent.action.type} (it had until ${window.startEffectBy.toISOString()})`,
        );
      if (now() >= window.startEffectBy) throw tooLate();
      // The claim: one conditional write, so of two attempts that read this intent only one goes on.
      const owner = leaseOwnerOf(delivery);
      try {
        await deps.store.claimIntent(intent.runId, intent.stepIndex, {
          owner,
          leaseExpiresAt: window.leaseUntil.toISOString(),
          now: now().toISOString(),
          attempts: intent.attempts,
          ...(heldByEarlierReceive(intent.leaseOwner, delivery) ? { supersedes: intent.leaseOwner } : {}),
        });
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        throw new AttemptNotStartedError(
          `another attempt claimed ${intent.action.type} of run ${intent.runId} step ${intent.stepIndex} first`,
        );
      }
      const attempts = intent.attempts + 1;
      // Right before the effect. Nobody can take over a lease before it lapses, so the claim is
      // still ours if it has not lapsed; on a starved event loop the write may have returned late,
      // and then the effect is left to a redelivery instead of starting without time to finish.
      const effectStart = now();
      if (effectStart >= window.startEffectBy) {
        const { status, leaseOwner, leaseExpiresAt } = intent;
        await setStatus(
          intent,
          ['EXECUTING'],
          { status, attempts: intent.attempts, leaseOwner, leaseExpiresAt },
          owner,
        );
        throw tooLate();
      }
      const signal = AbortSignal.timeout(
        Math.max(1, window.effectDeadline.getTime() - effectStart.getTime()),
      );
      const started = Date.now();
      let output: Record<string, unknown>;
      try {
        output = await connector.execute(params, {
          idempotencyKey: intent.idempotencyKey,
          runId: intent.runId,
          stepIndex: intent.stepIndex,
          now: effectStart,
          signal,
        });
      } catch (thrown) {
        const error = classifyAborted(thrown, connector, signal, intent.action.type);
        const durationMs = Date.now() - started;
        const message = (error as Error).message;
        if (error instanceof OutcomeUnknownError) {
          await setStatus(
            intent,
            ['EXECUTING'],
            { status: 'OUTCOME_UNKNOWN', error: message, finishedAt: now().toISOString(), ...unleased },
            owner,
          );
          await audit(subject, { outcome: 'outcome-unknown', ...who, reason: message, durationMs });
          await journal(intent, `${intent.action.type} outcome unknown: ${message}`, { outcome: 'unknown' });
          throw error;
        }
        if (error instanceof TransientConnectorError) {
          if (limits) await deps.breaker.recordFailure(intent.action.type, limits.breaker, now());
          // Back to RECORDED: the orchestrator's retry brings the same intent again.
          await setStatus(intent, ['EXECUTING'], { status: 'RECORDED', error: message, ...unleased }, owner);
          await audit(subject, { outcome: 'retrying', ...who, reason: message, durationMs });
          await journal(intent, `${intent.action.type} failed (transient, attempt ${attempts}): ${message}`, {
            transient: true,
            error: message,
          });
          throw error;
        }
        await setStatus(
          intent,
          ['EXECUTING'],
          { status: 'FAILED', error: message, finishedAt: now().toISOString(), ...unleased },
          owner,
        );
        // A credential aimed at a host it is not bound to never left: the gateway refused the action.
        const outcome = error instanceof CredentialRefusedError ? 'rejected' : 'failed';
        await audit(subject, { outcome, ...who, reason: message, durationMs });
        await journal(intent, `${intent.action.type} failed (permanent, attempt ${attempts}): ${message}`, {
          transient: false,
          error: message,
        });
        if (error instanceof PermanentConnectorError) throw error;
        throw new PermanentConnectorError(message, { cause: error });
      }

      // The effect happened. A failure from here on (the store unreachable) is not the connector's:
      // it propagates, the message is delivered again, and the intent's lease decides what then.
      const durationMs = Date.now() - started;
      const result: ActionResult = { ok: true, output, durationMs, attempts };
      try {
        // The result, its audit entry and its journal line in one commit: a crash cannot leave a
        // SUCCEEDED intent whose execution the audit log does not show.
        await deps.store.updateIntentWithLogs(
          intent.runId,
          intent.stepIndex,
          ['EXECUTING'],
          { status: 'SUCCEEDED', result, error: undefined, finishedAt: now().toISOString(), ...unleased },
          { leaseOwner: owner },
          {
            audit: {
              entry: auditEntry(subject, {
                outcome: 'executed',
                ...who,
                decision: 'allow',
                reason: intent.reason ?? 'allowed',
                result: output,
                durationMs,
              }),
            },
            journal: {
              entry: journalEntry(intent, `${intent.action.type} done (attempt ${attempts})`, {
                output,
                durationMs,
              }),
            },
          },
        );
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        throw new LeaseLostError(
          `${intent.action.type} of run ${intent.runId} step ${intent.stepIndex} finished after its lease lapsed and another attempt took it over`,
          { cause: error },
        );
      }
      if (probe) await deps.breaker.recordSuccess(intent.action.type, now());
      if (intent.compensates !== undefined) await markCompensated(intent, who, output);
      return result;
    },
  };
}

export type Gateway = ReturnType<typeof createGateway>;
export type { Grant };
