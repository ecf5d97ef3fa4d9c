import type { Run } from '../schemas.ts';

// `_` appears in no run id (slugs, stamps and hex have none), so a retry's suffix is never ambiguous.
const EXECUTION_SUFFIX = /_(retry\d+|compensate)$/;

/** The execution that drives the run now: the first is named after the run, each retry after it and its number. */
export const executionNameOf = (run: Pick<Run, 'runId' | 'execution'>): string => run.execution ?? run.runId;

/** The name of a run's `attempt`th execution (1 is the first). */
export const executionNameFor = (runId: string, attempt: number): string =>
  attempt <= 1 ? runId : `${runId}_retry${attempt - 1}`;

/**
 * The execution that undoes a cancelled run's effects: the run's own state machine, which finds the
 * run cancelled at its first state and goes the way of a failed run, to its compensation.
 */
export const compensationExecutionOf = (runId: string): string => `${runId}_compensate`;

/** Every execution the run has had, oldest first: what its history is read from. */
export const executionNamesOf = (run: Pick<Run, 'runId' | 'attempt' | 'cancellation'>): string[] => [
  ...Array.from({ length: run.attempt ?? 1 }, (_, i) => executionNameFor(run.runId, i + 1)),
  ...(run.cancellation?.compensation ? [run.cancellation.compensation] : []),
];

/** The run an execution belongs to (EventBridge and the local interpreter report execution names). */
export const runIdOfExecution = (executionName: string): string =>
  executionName.replace(EXECUTION_SUFFIX, '');
