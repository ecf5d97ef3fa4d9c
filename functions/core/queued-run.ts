import { ConflictError } from './errors.ts';
import { causeMessage, failureAccount } from './failure-account.ts';
import type { Clock, ExecutionState, Orchestrator, StateStore } from './ports.ts';
import type { Run } from './schemas.ts';

export interface QueuedRunDeps {
  store: Pick<StateStore, 'updateRun' | 'appendJournal'>;
  orchestrator: Pick<Orchestrator, 'startRun' | 'execution'>;
  clock: Clock;
}

/** The error a run is failed with when its execution ended before the run record was written. */
export const EXECUTION_ENDED_BEFORE_RUN = 'ExecutionEndedBeforeRun';

const ENDED: ReadonlySet<ExecutionState['status']> = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);

/**
 * Gives a QUEUED run that may already have an execution (a retried request, a recovery pass) its
 * execution, and checks the one it has can still run it. The execution is named after the run, so
 * finding it started is a start, unless it has ended: "Record run start" moves a run out of QUEUED,
 * so an ended execution of a QUEUED run ran while the run record did not exist (the retry that
 * wrote it came later) and failed there. Step Functions keeps an execution's name for 90 days and
 * the run id is fixed by the client's Idempotency-Key claim, so this run can never get another
 * execution: it is failed with an account that says so, instead of staying QUEUED for ever.
 */
export async function startQueuedRun(
  deps: QueuedRunDeps,
  runId: string,
  /** A retried run's execution has its own name (run-control/executions.ts); default the run id. */
  executionName: string = runId,
): Promise<'started' | 'failed'> {
  try {
    await deps.orchestrator.startRun(runId, executionName);
  } catch (error) {
    if ((error as Error).name !== 'ExecutionAlreadyExists') throw error;
  }
  const execution = await deps.orchestrator.execution(executionName);
  if (!execution || !ENDED.has(execution.status)) return 'started';
  return (await failNeverStarted(deps, runId, execution)) ? 'failed' : 'started';
}

/** Only from QUEUED: a run its execution did record (RUNNING or ended) is the execution's to finish. */
async function failNeverStarted(deps: QueuedRunDeps, runId: string, execution: ExecutionState) {
  const at = deps.clock.now().toISOString();
  const detail = execution.error
    ? ` (${execution.error}${execution.cause ? `: ${causeMessage(execution.cause)}` : ''})`
    : '';
  const error = {
    Error: EXECUTION_ENDED_BEFORE_RUN,
    Cause: `its execution had ended ${execution.status}${detail} before the run was recorded`,
  };
  const account = failureAccount(error, []);
  let failed: Run;
  try {
    failed = await deps.store.updateRun(runId, ['QUEUED'], {
      status: 'FAILED',
      failure: { error: error.Error, cause: error.Cause, account },
      finishedAt: at,
      updatedAt: at,
    });
  } catch (e) {
    if (e instanceof ConflictError) return false;
    throw e;
  }
  await deps.store.appendJournal({ runId: failed.runId, at, kind: 'failure', message: account });
  return true;
}
