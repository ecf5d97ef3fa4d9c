import type { Intent } from './schemas.ts';

/** What the orchestrator's Catch hands over: the Step Functions error name and cause. */
export interface CaughtError {
  Error: string;
  Cause?: string;
}

const EXPLANATIONS: Record<string, string> = {
  MalformedPlanError: 'The planner could not produce a valid plan, so no step ran.',
  BudgetExceededError: 'The run would have gone over its budget, so it stopped before spending more.',
  ModelOutputInvalidError:
    "A model step's answer did not fit the step's declared output, so nothing was filled from it.",
  ModelFailedError: 'The model kept failing on every retry and on both tiers, and the workflow says to fail.',
  ModelDeferredError:
    'The model kept failing on every retry and on both tiers, and every deferred retry failed too.',
  StepOutputError:
    "A step's parameters, filled from earlier steps' outputs, did not fit its connector, so it did not run.",
  PolicyDeniedError: 'The policy denied a step, so it was not executed.',
  PermanentConnectorError: 'An action failed in a way that retrying will not fix.',
  TransientConnectorError: 'An action kept failing after every retry.',
  ExpectationFailedError: 'An action ran but its result was not what the playbook expected.',
  'States.Timeout': 'An action did not answer in time.',
  NotFoundError: 'Something the run needed does not exist.',
  'States.Runtime':
    'The orchestrator itself hit an error; this is a bug in aios, please report it with the run id.',
  ApprovalRejectedError: 'An approver rejected the step, so it was not executed.',
  ApprovalTimedOutError: 'Nobody decided on the approval in time, so the step was rejected and not executed.',
  ApprovalHandedOffError:
    'Nobody decided on the approval in time; the step was not executed and is handed to you to finish by hand.',
  ExecutionAborted: 'The execution was stopped by hand before the run finished.',
  ExecutionTimedOut: 'The execution ran past its time limit.',
  ExecutionEndedBeforeRun:
    'A crash fell between writing the run and starting it, and its execution ran without it; an execution name cannot be used twice, so this run cannot run: start it again with a new request.',
};

/** Lambda errors arrive with a JSON cause; task failures with a plain one. */
export function causeMessage(cause: string | undefined): string {
  if (!cause) return 'no cause was given';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // a plain-text cause
  }
  return cause;
}

/** A short account an operator can read: which step, what failed, why, and what it means. */
export function failureAccount(error: CaughtError, intents: readonly Intent[]): string {
  const failedStep = [...intents].reverse().find((i) => i.status !== 'SUCCEEDED');
  const where = failedStep
    ? `Step ${failedStep.stepIndex + 1} "${failedStep.title}" (${failedStep.action.type})`
    : intents.length === 0
      ? 'Before any step ran, the run'
      : 'After its steps, the run';
  const why = causeMessage(error.Cause);
  const meaning = EXPLANATIONS[error.Error] ?? 'The run stopped on an unexpected error.';
  const done = intents.filter((i) => i.status === 'SUCCEEDED').length;
  return `${where} failed with ${error.Error}: ${why}. ${meaning} ${done} step${done === 1 ? '' : 's'} had completed.`;
}
