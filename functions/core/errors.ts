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

/** The monitor found the result did not meet the step's expectation. */
export class ExpectationFailedError extends AiosError {}
