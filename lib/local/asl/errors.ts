/**
 * Errors of the local Step Functions interpreter. API errors carry the same `name` as the
 * Step Functions API exceptions, so callers can branch on `error.name` against either backend.
 */

/** An error raised inside a running state: `name` is the States error name (e.g. States.Timeout). */
export class StatesError extends Error {
  constructor(
    name: string,
    readonly causeText: string,
  ) {
    super(causeText);
    this.name = name;
  }
}

/** A States.Runtime failure: never retried or caught, it fails the execution (as on the real service). */
export class StatesRuntimeError extends StatesError {
  constructor(cause: string) {
    super('States.Runtime', cause);
  }
}

class NamedError extends Error {
  constructor(name: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = name;
  }
}

export class ExecutionAlreadyExistsError extends NamedError {
  constructor(executionArn: string) {
    super('ExecutionAlreadyExists', `Execution already exists with a different input: ${executionArn}`);
  }
}

export class ExecutionDoesNotExistError extends NamedError {
  constructor(executionArn: string) {
    super('ExecutionDoesNotExist', `Execution does not exist: ${executionArn}`);
  }
}

export class StateMachineDoesNotExistError extends NamedError {
  constructor(name: string) {
    super('StateMachineDoesNotExist', `State machine does not exist: ${name}`);
  }
}

/** The token was never issued (or is malformed). */
export class InvalidTokenError extends NamedError {
  constructor(message = 'Invalid token') {
    super('InvalidToken', message);
  }
}

/** The token was issued but its task is no longer waiting (completed, timed out, or execution stopped). */
export class TaskTimedOutError extends NamedError {
  constructor() {
    super('TaskTimedOut', 'Task Timed Out');
  }
}

export class InvalidOutputError extends NamedError {
  constructor(message: string) {
    super('InvalidOutput', message);
  }
}

export class InvalidDefinitionError extends NamedError {
  constructor(stateMachineName: string, problems: readonly string[]) {
    super('InvalidDefinition', `State machine ${stateMachineName} is invalid: ${problems.join('; ')}`);
  }
}

/** Another interpreter advanced the execution first: this one must stop driving it. */
export class StaleExecutionError extends NamedError {
  constructor(executionArn: string, expectedVersion: number) {
    super('StaleExecution', `Execution ${executionArn} is no longer at version ${expectedVersion}`);
  }
}

/** The store could not be reached mid-step: the step is abandoned (not failed) and resumes later. */
export class StoreUnavailableError extends NamedError {
  constructor(cause: unknown) {
    super('StoreUnavailable', `The execution store failed: ${(cause as Error)?.message ?? String(cause)}`, {
      cause,
    });
  }
}
