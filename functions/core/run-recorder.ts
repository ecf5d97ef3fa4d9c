import { ConflictError, NotFoundError } from './errors.ts';
import { type CaughtError, causeMessage, failureAccount } from './failure-account.ts';
import type { Clock, StateStore } from './ports.ts';
import type { Run } from './schemas.ts';

export interface RunRecorderDeps {
  store: StateStore;
  clock: Clock;
}

/** The run's lifecycle transitions; each is a conditional write and safe to repeat. */
export function createRunRecorder(deps: RunRecorderDeps) {
  const now = () => deps.clock.now().toISOString();
  const load = async (runId: string): Promise<Run> => {
    const run = await deps.store.getRun(runId);
    if (!run) throw new NotFoundError(`run ${runId} does not exist`);
    return run;
  };

  return {
    async start(runId: string): Promise<Run> {
      const run = await load(runId);
      if (run.status === 'RUNNING') return run;
      const started = await deps.store.updateRun(runId, ['QUEUED'], { status: 'RUNNING', updatedAt: now() });
      await deps.store.appendJournal({
        runId,
        at: now(),
        kind: 'run',
        message: `run of ${run.workflow} started`,
      });
      return started;
    },

    async finish(runId: string): Promise<Run> {
      const run = await load(runId);
      if (run.status === 'SUCCEEDED') return run;
      const intents = await deps.store.listIntents(runId);
      const summary = `Completed ${intents.length} step${intents.length === 1 ? '' : 's'}: ${intents
        .map((i) => i.title)
        .join('; ')}. Model spend $${run.spentUsd.toFixed(4)}.`;
      const finished = await deps.store.updateRun(runId, ['RUNNING'], {
        status: 'SUCCEEDED',
        summary,
        finishedAt: now(),
        updatedAt: now(),
      });
      await deps.store.appendJournal({ runId, at: now(), kind: 'summary', message: summary });
      return finished;
    },

    /**
     * The execution ended without passing through Record failure (stopped by hand, timed out, or an
     * orchestrator error no Catch covers). A run already finished is left as it is.
     */
    async executionEnded(
      runId: string,
      status: 'FAILED' | 'TIMED_OUT' | 'ABORTED',
      error: string | null | undefined,
      cause: string | null | undefined,
    ): Promise<Run> {
      const run = await load(runId);
      if (run.status === 'SUCCEEDED' || run.status === 'FAILED') return run;
      return this.fail(runId, {
        Error:
          error ??
          `Execution${status === 'TIMED_OUT' ? 'TimedOut' : status === 'ABORTED' ? 'Aborted' : 'Failed'}`,
        Cause: cause ?? `the orchestrator execution of run ${runId} ended ${status}`,
      });
    },

    async fail(runId: string, error: CaughtError): Promise<Run> {
      const run = await load(runId);
      if (run.status === 'FAILED') return run;
      const intents = await deps.store.listIntents(runId);
      const account = failureAccount(error, intents);
      try {
        const failed = await deps.store.updateRun(runId, ['QUEUED', 'RUNNING'], {
          status: 'FAILED',
          failure: { error: error.Error, cause: causeMessage(error.Cause), account },
          finishedAt: now(),
          updatedAt: now(),
        });
        await deps.store.appendJournal({ runId, at: now(), kind: 'failure', message: account });
        return failed;
      } catch (e) {
        if (e instanceof ConflictError) return load(runId);
        throw e;
      }
    },
  };
}
