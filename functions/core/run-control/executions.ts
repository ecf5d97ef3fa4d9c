import type { Run } from '../schemas.ts';

// `_` appears in no run id (slugs, stamps and hex have none), so a retry's suffix is never ambiguous.
const RETRY_SUFFIX = /_retry(\d+)$/;

/** The execution that drives the run now: the first is named after the run, each retry after it and its number. */
export const executionNameOf = (run: Pick<Run, 'runId' | 'execution'>): string => run.execution ?? run.runId;

/** The name of a run's `attempt`th execution (1 is the first). */
export const executionNameFor = (runId: string, attempt: number): string =>
  attempt <= 1 ? runId : `${runId}_retry${attempt - 1}`;

/** Every execution the run has had, oldest first: what its history is read from. */
export const executionNamesOf = (run: Pick<Run, 'runId' | 'attempt'>): string[] =>
  Array.from({ length: run.attempt ?? 1 }, (_, i) => executionNameFor(run.runId, i + 1));

/** The run an execution belongs to (EventBridge and the local interpreter report execution names). */
export const runIdOfExecution = (executionName: string): string => executionName.replace(RETRY_SUFFIX, '');
