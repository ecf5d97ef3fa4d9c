/** Base class so callers can tell domain errors from bugs. `name` is what Step Functions matches on. */
export class AiosError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A conditional write lost: the record is not in the state the caller expected. */
export class ConflictError extends AiosError {}

export class NotFoundError extends AiosError {}

/** Input from outside failed its schema; the message names the fields. */
export class ValidationError extends AiosError {
  constructor(
    message: string,
    readonly issues: readonly { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

/** The model's plan did not parse or named actions the workflow does not allow. Never retried. */
export class MalformedPlanError extends AiosError {}

/** A model call would take the run past its budget; checked before the call. */
export class BudgetExceededError extends AiosError {}

/** The policy denied a step. */
export class PolicyDeniedError extends AiosError {}

/** A connector failed in a way worth retrying (timeouts, 5xx, throttling). */
export class TransientConnectorError extends AiosError {}

/** A connector failed in a way retrying will not fix (4xx, bad parameters). */
export class PermanentConnectorError extends AiosError {}

/**
 * A stored credential was named for a host it is not bound to: refused before any request, so
 * the credential never leaves. Permanent, audited as rejected, and the operator is alerted.
 */
export class CredentialRefusedError extends PermanentConnectorError {}

/** The monitor found the result did not meet the step's expectation. */
export class ExpectationFailedError extends AiosError {}

/** The action's capability grant is forged, expired or does not cover it. Never retried. */
export class CapabilityRejectedError extends AiosError {}

/** The connector's rate limit has no token now; the orchestrator retries after a short wait. */
export class RateLimitedError extends AiosError {}

/** The connector's circuit breaker is open; the orchestrator waits longer before it tries again. */
export class ConnectorUnavailableError extends AiosError {}

/**
 * An attempt may or may not have had its effect and repeating it is not safe (the connector
 * cannot be idempotent). The intent goes to the operator instead of being retried blindly.
 */
export class OutcomeUnknownError extends AiosError {}

/**
 * This attempt may not run the effect now: another attempt holds the intent's lease, or too
 * little of this attempt's time is left to start it. Nothing happened; the message is delivered
 * again and a later attempt goes on. Not an answer to the orchestrator.
 */
export class AttemptNotStartedError extends AiosError {}

/**
 * An attempt that reached the last moment it may start its effect first (a slow batch, a busy
 * machine): it touched nothing a new attempt would find in its way, so its message may be
 * received again at once instead of after its visibility timeout.
 */
export class AttemptTooLateError extends AttemptNotStartedError {}

/**
 * The attempt ran the effect but its lease ran out and another attempt took the intent over
 * before the result was recorded; the redelivered message reads what that attempt recorded.
 */
export class LeaseLostError extends AiosError {}

/** The policy wants the operator's approval before this step runs. */
export class ApprovalRequiredError extends AiosError {}

/** An idempotency key came back with a different request than the one it first carried. */
export class IdempotencyKeyReusedError extends AiosError {}

/**
 * A model call failed: an error, a throttle or a timeout. `retryable` says whether the same tier may
 * be tried again after a pause (throttles, timeouts and 5xx are; a refused request is not).
 */
export class ModelCallError extends AiosError {
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A model step's answer does not fit the step's declared output schema: a step error, nothing half-filled is kept. */
export class ModelOutputInvalidError extends AiosError {}

/** Every model attempt failed and the workflow says `defer`: the orchestrator tries the step again later. */
export class ModelDeferredError extends AiosError {}

/** Every model attempt failed and the workflow says `fail`. */
export class ModelFailedError extends AiosError {}

/** A later step's parameters, filled from earlier steps' outputs, do not fit its connector: no effect ran. */
export class StepOutputError extends AiosError {}
