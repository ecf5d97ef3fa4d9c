import { ConflictError, NotFoundError } from '../errors.ts';
import type { Clock, HandoffStore, Orchestrator, StateStore, WorkflowCatalog } from '../ports.ts';
import { startQueuedRun } from '../queued-run.ts';
import type { RunsService, StartedRun } from '../runs-service.ts';
import { type Intent, isModelStep, type Run } from '../schemas.ts';
import { compensationExecutionOf, executionNameFor, executionNameOf } from './executions.ts';

export interface RunControlDeps {
  store: StateStore;
  orchestrator: Orchestrator;
  clock: Clock;
  /** Starts a rerun through the same path as `POST /runs`. */
  runs: Pick<RunsService, 'start'>;
  /** Withdraws a cancelled run's pending approvals (the approval service). */
  approvals?: { withdrawForRun(runId: string, detail: string): Promise<string[]> };
  handoffs?: Pick<HandoffStore, 'listPending' | 'withdraw'>;
  /** Where a cancel reads whether the run's playbook version compensates its effects. */
  catalog: WorkflowCatalog;
}

/** An effect a run made on the outside world (or on canonical state) before it was cancelled. */
export interface MadeEffect {
  stepIndex: number;
  stepId: string;
  actionType: string;
}

export interface CancelledRun {
  run: Run;
  effects: MadeEffect[];
  /** The execution undoing the effects, newest first, when the playbook says `compensateOnFailure`. */
  compensation?: string;
  withdrawn: { approvals: string[]; handoffs: string[] };
}

/** The failures a retry cannot mend: it would only meet the same answer again. */
const DECIDED_FAILURES = new Set(['ApprovalRejectedError', 'PolicyDeniedError', 'ApprovalTimedOutError']);

const effectsOf = (intents: readonly Intent[]): MadeEffect[] =>
  intents
    .filter((i) => i.status === 'SUCCEEDED' && i.compensates === undefined && !isModelStep(i.action.type))
    .map((i) => ({ stepIndex: i.stepIndex, stepId: i.stepId, actionType: i.action.type }));

export type RunControl = ReturnType<typeof createRunControl>;

/** The operator's hand on runs: cancel one that is going, retry one that failed, rerun any. */
export function createRunControl(deps: RunControlDeps) {
  const now = () => deps.clock.now().toISOString();
  const load = async (runId: string): Promise<Run> => {
    const run = await deps.store.getRun(runId);
    if (!run) throw new NotFoundError(`run ${runId} does not exist`);
    return run;
  };

  async function withdrawHandoffs(runId: string): Promise<string[]> {
    if (!deps.handoffs) return [];
    const withdrawn: string[] = [];
    for (const handoff of await deps.handoffs.listPending()) {
      if (handoff.runId !== runId) continue;
      try {
        await deps.handoffs.withdraw(handoff.handoffId, now());
        withdrawn.push(handoff.handoffId);
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error; // completed first: that stands
      }
    }
    return withdrawn;
  }

  /** The playbook version the run started on asks for its effects to be undone, and there are some. */
  async function compensates(run: Run, effects: readonly MadeEffect[]): Promise<boolean> {
    if (effects.length === 0) return false;
    const workflow = await deps.catalog.workflow(run.workflow, run.workflowVersion);
    return workflow?.compensateOnFailure === true;
  }

  return {
    /**
     * Stops a queued or running run. The record turns CANCELLED first, so from then on the gateway
     * refuses the run's actions and the recorder leaves it alone; then its execution is stopped and
     * whatever it waits on (approvals, handoffs) is withdrawn, so no link or button decides it.
     */
    async cancel(runId: string, request: { by: string; reason?: string }): Promise<CancelledRun> {
      const run = await load(runId);
      if (run.status !== 'QUEUED' && run.status !== 'RUNNING') {
        throw new ConflictError(
          `run ${runId} is ${run.status}: only a queued or running run can be cancelled`,
        );
      }
      const reason = request.reason ?? 'cancelled by the operator';
      const at = now();
      await deps.store.updateRun(runId, ['QUEUED', 'RUNNING'], {
        status: 'CANCELLED',
        cancellation: { by: request.by, at, reason, effects: [] },
        finishedAt: at,
        updatedAt: at,
      });
      const detail = `cancelled by ${request.by}: ${reason}`;
      await deps.orchestrator.stopRun(executionNameOf(run), { error: 'RunCancelled', cause: detail });
      const approvals = (await deps.approvals?.withdrawForRun(runId, detail)) ?? [];
      const handoffs = await withdrawHandoffs(runId);
      // Read after the stop: an effect that finished while the execution was being stopped is listed too.
      const effects = effectsOf(await deps.store.listIntents(runId));
      const compensation = (await compensates(run, effects)) ? compensationExecutionOf(runId) : undefined;
      const cancelled = await deps.store.updateRun(runId, ['CANCELLED'], {
        cancellation: { by: request.by, at, reason, effects, ...(compensation ? { compensation } : {}) },
      });
      const made = effects.map((e) => `step ${e.stepIndex + 1} ${e.stepId} (${e.actionType})`);
      await deps.store.appendJournal({
        runId,
        at: now(),
        kind: 'run',
        message: `run ${detail}; ${made.length > 0 ? `effects already made: ${made.join(', ')}` : 'no effect had been made'}${
          approvals.length + handoffs.length > 0
            ? `; withdrawn: ${[...approvals, ...handoffs].join(', ')}`
            : ''
        }${compensation ? `; compensating them, newest first, in execution ${compensation}` : ''}`,
        data: { by: request.by, reason, effects, withdrawn: { approvals, handoffs }, compensation },
      });
      // Named on the run before the start, so the run's history reads it with the others; the
      // run's own state machine finds the run cancelled at its first state and goes, as a failed
      // run does, to its compensation: the same intents, keys and gateway, each effect undone once.
      if (compensation) await deps.orchestrator.startRun(runId, compensation);
      return {
        run: cancelled,
        effects,
        withdrawn: { approvals, handoffs },
        ...(compensation ? { compensation } : {}),
      };
    },

    /**
     * Goes on with a failed run in a new execution, from the step that failed: the steps that
     * succeeded keep their intents, so the gateway answers them with their recorded results and
     * executes nothing twice. A failure a retry cannot mend (a rejection, a denial, effects already
     * compensated, an outcome only the operator can check) is refused with what to do instead.
     */
    async retry(runId: string, request: { by: string }): Promise<Run> {
      const run = await load(runId);
      if (run.status !== 'FAILED') {
        throw new ConflictError(`run ${runId} is ${run.status}: only a failed run can be retried`);
      }
      if (run.failure && DECIDED_FAILURES.has(run.failure.error)) {
        throw new ConflictError(
          `run ${runId} failed with ${run.failure.error}: a retry would meet the same answer; rerun it instead`,
        );
      }
      const intents = await deps.store.listIntents(runId);
      if (intents.some((i) => i.compensates !== undefined)) {
        throw new ConflictError(`run ${runId} had its effects compensated when it failed; rerun it instead`);
      }
      const unknown = intents.find((i) => i.status === 'OUTCOME_UNKNOWN');
      if (unknown) {
        throw new ConflictError(
          `step ${unknown.stepIndex + 1} ${unknown.stepId} of run ${runId} may or may not have taken effect: check it by hand before a retry`,
        );
      }
      const failed = intents.filter((i) => i.status === 'FAILED');
      for (const intent of failed) {
        await deps.store.updateIntent(runId, intent.stepIndex, ['FAILED'], {
          status: 'RECORDED',
          error: undefined,
          finishedAt: undefined,
        });
      }
      const attempt = (run.attempt ?? 1) + 1;
      const execution = executionNameFor(runId, attempt);
      const reused = intents.filter((i) => i.status === 'SUCCEEDED').map((i) => i.stepIndex + 1);
      // QUEUED with its execution's name before the start: a crash between the two leaves a queued
      // run the recovery sweep starts under that same name.
      const queued = await deps.store.updateRun(runId, ['FAILED'], {
        status: 'QUEUED',
        failure: undefined,
        finishedAt: undefined,
        execution,
        attempt,
        updatedAt: now(),
      });
      await deps.store.appendJournal({
        runId,
        at: now(),
        kind: 'run',
        message: `retry ${attempt - 1} by ${request.by}: a new execution ${execution} goes on from the failed step${
          reused.length > 0 ? `; steps ${reused.join(', ')} keep their recorded results` : ''
        }`,
        data: { by: request.by, execution, attempt, reused },
      });
      await startQueuedRun(deps, runId, execution);
      return (await deps.store.getRun(runId)) ?? queued;
    },

    /** A new run of the same workflow with the run's input, each `set` field on top; it names the run it repeats. */
    async rerun(
      runId: string,
      request: { by: string; set?: Record<string, unknown>; idempotencyKey?: string },
    ): Promise<StartedRun> {
      const run = await load(runId);
      const started = await deps.runs.start(
        { workflow: run.workflow, input: { ...run.input, ...request.set }, mode: run.mode },
        { rerunOf: runId, ...(request.idempotencyKey ? { idempotencyKey: request.idempotencyKey } : {}) },
      );
      if (!started.replayed) {
        await deps.store.appendJournal({
          runId,
          at: now(),
          kind: 'run',
          message: `rerun by ${request.by} as ${started.run.runId}`,
          data: { by: request.by, rerun: started.run.runId },
        });
      }
      return started;
    },
  };
}
