import type { Approval } from './approvals/approval.ts';
import type { Clock, Orchestrator, StateStore } from './ports.ts';
import { startQueuedRun } from './queued-run.ts';
import { executionNameOf } from './run-control/executions.ts';
import { answerStrandedAction, type StrandedActionsDeps } from './stranded-actions.ts';

/**
 * What a crash can strand, and what finishes it. Every step here is safe to repeat: a run's
 * execution is named after the run (a second start is the same execution), and a settled
 * approval or an ended action is answered with the same answer (a token already answered is
 * closed, not doubled).
 */
export interface RecoveryDeps {
  approvals: {
    /** Approvals settled before `before` whose runs have not been told the outcome. */
    unanswered(before: Date): Promise<Approval[]>;
    /** Tells the run; 'nothing' when another pass already did. */
    answerSettled(approvalId: string): Promise<'answered' | 'closed' | 'nothing'>;
  };
  runs: Pick<StateStore, 'listRuns' | 'getRun' | 'updateRun' | 'appendJournal' | 'getIntent'>;
  /** `startRun` must treat an execution that already exists as started. */
  orchestrator: Pick<Orchestrator, 'startRun' | 'execution'>;
  clock: Clock;
  /** Handoffs the operator completed whose runs were never told (a crash fell between). */
  handoffs?: { answerCompleted(): Promise<number> };
  /**
   * Runs waiting on an action whose intent has already ended: the gateway's answer never reached
   * the execution (see stranded-actions.ts). Told from the intent's record, never run again.
   */
  actions?: Omit<StrandedActionsDeps, 'store'>;
  /** One stranded item that could not be finished this pass (the next pass tries again). */
  onError?: (message: string, error: unknown, context: Record<string, string>) => void;
}

/**
 * How old something must be before a sweep touches it, so that a sweep never races the request
 * that is still finishing it (a POST /runs between its two writes, a decision answering its run).
 * At start-up nothing of the last process is still in flight: both are zero there.
 */
export interface RecoveryGrace {
  approvalsMs: number;
  queuedRunsMs: number;
  /** Since the action's intent ended: its gateway attempt may still be answering. */
  actionsMs: number;
}

export const SWEEP_GRACE: RecoveryGrace = { approvalsMs: 60_000, queuedRunsMs: 120_000, actionsMs: 60_000 };
export const AT_START_UP: RecoveryGrace = { approvalsMs: 0, queuedRunsMs: 0, actionsMs: 0 };
/** More QUEUED runs than this in one pass means something else is wrong; the next pass takes the rest. */
const MAX_RUNS_PER_PASS = 500;

export interface RecoveryReport {
  /** Settled approvals whose waiting run was told now. */
  approvalsAnswered: number;
  /** Settled approvals whose run had been told after all (the token was closed): now marked so. */
  approvalsAlreadyAnswered: number;
  /** QUEUED runs whose execution was started (or found started). */
  runsStarted: number;
  /** QUEUED runs whose execution had ended without them: failed with an account (see queued-run.ts). */
  runsFailed: number;
  /** Listed as QUEUED by the index, but the run itself is not (any more), or does not exist: left alone. */
  runsNotQueued: number;
  failures: number;
  /** With `handoffs`: completed handoffs whose waiting run was told now. */
  handoffsAnswered?: number;
  /** With `actions`: runs told now the outcome of an action that had ended without their hearing. */
  actionsAnswered?: number;
  /** With `actions`: such runs that had been told after all (the token was closed). */
  actionsAlreadyAnswered?: number;
}

export function createRecovery(deps: RecoveryDeps) {
  const report = (): RecoveryReport => ({
    approvalsAnswered: 0,
    approvalsAlreadyAnswered: 0,
    runsStarted: 0,
    runsFailed: 0,
    runsNotQueued: 0,
    failures: 0,
  });

  async function answerApprovals(before: Date, counts: RecoveryReport) {
    for (const approval of await deps.approvals.unanswered(before)) {
      try {
        const outcome = await deps.approvals.answerSettled(approval.approvalId);
        if (outcome === 'answered') counts.approvalsAnswered += 1;
        if (outcome === 'closed') counts.approvalsAlreadyAnswered += 1;
      } catch (error) {
        counts.failures += 1;
        deps.onError?.('could not answer a settled approval; the next sweep tries again', error, {
          approvalId: approval.approvalId,
          runId: approval.runId,
        });
      }
    }
  }

  async function startQueuedRuns(before: Date, counts: RecoveryReport) {
    const queued = await deps.runs.listRuns({
      status: 'QUEUED',
      createdBefore: before.toISOString(),
      limit: MAX_RUNS_PER_PASS,
    });
    for (const listed of queued) {
      try {
        // The index is a copy and may be behind (on AWS) or torn (a kill mid-write locally): only
        // the run record itself, read strongly, says there is a QUEUED run to start.
        const current = await deps.runs.getRun(listed.runId);
        if (current?.status !== 'QUEUED') {
          counts.runsNotQueued += 1;
          continue;
        }
        const outcome = await startQueuedRun(
          { ...deps, store: deps.runs },
          listed.runId,
          executionNameOf(current),
        );
        if (outcome === 'started') counts.runsStarted += 1;
        else counts.runsFailed += 1;
      } catch (error) {
        counts.failures += 1;
        deps.onError?.('could not start a queued run; the next sweep tries again', error, {
          runId: listed.runId,
        });
      }
    }
  }

  async function answerStrandedActions(finishedBefore: Date, counts: RecoveryReport) {
    const actions = deps.actions;
    if (!actions) return;
    counts.actionsAnswered = 0;
    counts.actionsAlreadyAnswered = 0;
    const running = await deps.runs.listRuns({ status: 'RUNNING', limit: MAX_RUNS_PER_PASS });
    for (const run of running) {
      try {
        const outcome = await answerStrandedAction(
          { ...actions, store: deps.runs },
          run.runId,
          finishedBefore,
        );
        if (outcome === 'answered') counts.actionsAnswered += 1;
        if (outcome === 'closed') counts.actionsAlreadyAnswered += 1;
      } catch (error) {
        counts.failures += 1;
        deps.onError?.('could not tell a run the outcome of its action; the next sweep tries again', error, {
          runId: run.runId,
        });
      }
    }
  }

  return {
    /**
     * Answers settled approvals whose runs still wait, starts QUEUED runs that have no
     * execution, and tells runs that wait on an action already ended its outcome, each older
     * than its grace period. Failures of single items are counted and
     * reported, not thrown: one bad record never stops the rest.
     */
    async sweep(grace: RecoveryGrace = SWEEP_GRACE): Promise<RecoveryReport> {
      const now = deps.clock.now().getTime();
      const counts = report();
      await answerApprovals(new Date(now - grace.approvalsMs), counts);
      await startQueuedRuns(new Date(now - grace.queuedRunsMs), counts);
      try {
        await answerStrandedActions(new Date(now - grace.actionsMs), counts);
      } catch (error) {
        counts.failures += 1;
        deps.onError?.(
          'could not list running runs for stranded actions; the next sweep tries again',
          error,
          {},
        );
      }
      if (deps.handoffs) {
        try {
          // Answering twice is harmless (the intent write is conditional, a closed token is an answer).
          counts.handoffsAnswered = await deps.handoffs.answerCompleted();
        } catch (error) {
          counts.failures += 1;
          deps.onError?.('could not answer completed handoffs; the next sweep tries again', error, {});
        }
      }
      return counts;
    },
  };
}

export type Recovery = ReturnType<typeof createRecovery>;
