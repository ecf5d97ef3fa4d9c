import { rememberDrafts } from './agents/draft-memory.ts';
import type { DecisionLog } from './approvals/decision-log.ts';
import { ConflictError, NotFoundError } from './errors.ts';
import { type CaughtError, causeMessage, failureAccount } from './failure-account.ts';
import type { MemoryService } from './memory/memory-service.ts';
import { MemoryNamespaceSchema } from './memory/schemas.ts';
import type { OperatorAlerts } from './operator-alerts.ts';
import type { Clock, StateStore } from './ports.ts';
import { executionNameOf } from './run-control/executions.ts';
import type { Run } from './schemas.ts';

export interface RunRecorderDeps {
  store: StateStore;
  clock: Clock;
  /** When given, a run's summary goes to working memory and a failure leaves a postmortem. */
  memory?: Pick<MemoryService, 'write' | 'session'>;
  /** When given, a failed run is told to the operator, once (operator-alerts.ts). */
  alerts?: OperatorAlerts;
  /** When given, a finished shadow run opens a review item per proposed external action (trust-service.ts). */
  reviews?: { openReviews(run: Run): Promise<readonly unknown[]> };
  /** Logs the settled approvals of held steps a public endpoint decided (decision-log.ts). */
  decisions?: Pick<DecisionLog, 'step'>;
}

/** Whose working memory a run's summary belongs to: its customer's or project's, else the operator's. */
export function memoryNamespaceOf(run: Run): string {
  for (const [field, prefix] of [
    ['customerId', 'customer'],
    ['projectId', 'project'],
  ] as const) {
    const value = run.input[field];
    if (typeof value !== 'string') continue;
    const parsed = MemoryNamespaceSchema.safeParse(`${prefix}:${value.toLowerCase()}`);
    if (parsed.success) return parsed.data;
  }
  return 'operator';
}

/** The run's lifecycle transitions; each is a conditional write and safe to repeat. */
export function createRunRecorder(deps: RunRecorderDeps) {
  const now = () => deps.clock.now().toISOString();
  const load = async (runId: string): Promise<Run> => {
    const run = await deps.store.getRun(runId);
    if (!run) throw new NotFoundError(`run ${runId} does not exist`);
    return run;
  };

  /**
   * Writes what the run leaves in memory, under ids derived from the run, so a repeated call
   * writes nothing twice; then drops its session buffer. A memory failure is journaled and does
   * not change how the run ended.
   */
  async function remember(run: Run) {
    const memory = deps.memory;
    if (!memory) return;
    try {
      const origin = { runId: run.runId };
      const subject = `workflow:${run.workflow}`;
      if (run.status === 'SUCCEEDED') {
        await memory.write({
          id: `run-${run.runId}`,
          namespace: memoryNamespaceOf(run),
          kind: 'run-summary',
          tier: 'working',
          subject,
          origin,
          text: `Run ${run.runId} of ${run.workflow} v${run.workflowVersion} succeeded. ${run.summary ?? ''}`.trim(),
        });
        const remembered = await rememberDrafts(
          memory,
          run,
          await deps.store.listIntents(run.runId),
          memoryNamespaceOf(run),
        );
        if (remembered.length > 0) {
          await deps.store.appendJournal({
            runId: run.runId,
            at: now(),
            kind: 'run',
            message: `remembered for the next drafts: ${remembered.map((r) => `${r.id} (${r.kind})`).join(', ')}`,
            data: { remembered },
          });
        }
      } else if (run.status === 'FAILED' && run.failure) {
        const intents = await deps.store.listIntents(run.runId);
        const failed = intents.find((i) => i.status === 'FAILED' || i.status === 'DENIED');
        await memory.write({
          id: `run-${run.runId}`,
          namespace: memoryNamespaceOf(run),
          kind: 'run-summary',
          tier: 'working',
          subject,
          origin,
          text: `Run ${run.runId} of ${run.workflow} v${run.workflowVersion} failed. ${run.failure.account}`,
        });
        await memory.write({
          id: `postmortem-${run.runId}`,
          namespace: 'operator',
          kind: 'postmortem',
          tier: 'long-term',
          subject,
          origin: failed ? { ...origin, stepIndex: failed.stepIndex } : origin,
          text: `Postmortem of run ${run.runId} (${run.workflow} v${run.workflowVersion}), ${run.failure.error}: ${run.failure.account}`,
        });
      }
      await memory.session(run.runId).drop();
    } catch (error) {
      await deps.store.appendJournal({
        runId: run.runId,
        at: now(),
        kind: 'run',
        message: `could not write the run's outcome to memory: ${(error as Error).message}`,
      });
    }
  }

  /** A shadow run ends as review items, one per proposed action; a repeated finish opens none twice. */
  async function review(run: Run) {
    if (!deps.reviews || run.mode !== 'shadow') return;
    const opened = await deps.reviews.openReviews(run);
    if (opened.length === 0) return;
    await deps.store.appendJournal({
      runId: run.runId,
      at: now(),
      kind: 'summary',
      message: `${opened.length} proposed action${opened.length === 1 ? '' : 's'} wait${opened.length === 1 ? 's' : ''} for your review: aios reviews`,
    });
  }

  /**
   * Tells the operator of a failed run. Called on every path that finds the run failed, a repeated
   * or concurrent one included, so a crash right after the transition still tells them; the marks
   * make it once. A channel that fails is journaled: the run's outcome stands either way.
   */
  async function tell(run: Run) {
    if (!deps.alerts) return;
    try {
      await deps.alerts.runFailed(run);
    } catch (error) {
      await deps.store.appendJournal({
        runId: run.runId,
        at: now(),
        kind: 'failure',
        message: `could not tell the operator that the run failed: ${(error as Error).message}`,
      });
    }
  }

  return {
    async start(runId: string): Promise<Run> {
      const run = await load(runId);
      if (run.status === 'RUNNING') return run;
      // A cancelled run's compensation execution goes from here to Record failure and its compensation.
      if (run.status === 'CANCELLED') {
        throw new ConflictError(
          `run ${runId} was cancelled: no more of its plan runs, only its compensation`,
        );
      }
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
      if (run.status === 'SUCCEEDED') {
        await review(run);
        await remember(run);
        return run;
      }
      const intents = await deps.store.listIntents(runId);
      const summary = `Completed ${intents.length} step${intents.length === 1 ? '' : 's'}: ${intents
        .map((i) => i.title)
        .join('; ')}. Model spend $${run.spentUsd.toFixed(4)}.`;
      // Before the run reads as succeeded, so whoever sees it succeeded finds its review items too.
      await review(run);
      const finished = await deps.store.updateRun(runId, ['RUNNING'], {
        status: 'SUCCEEDED',
        summary,
        finishedAt: now(),
        updatedAt: now(),
      });
      await deps.store.appendJournal({ runId, at: now(), kind: 'summary', message: summary });
      await remember(finished);
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
      /** The execution that ended; an earlier execution of a retried run ending late changes nothing. */
      executionName: string = runId,
    ): Promise<Run> {
      const run = await load(runId);
      if (run.status === 'SUCCEEDED' || run.status === 'CANCELLED') return run;
      if (executionNameOf(run) !== executionName) return run;
      // A failed run goes through fail() all the same: it makes sure the operator was told.
      return this.fail(runId, {
        Error:
          error ??
          `Execution${status === 'TIMED_OUT' ? 'TimedOut' : status === 'ABORTED' ? 'Aborted' : 'Failed'}`,
        Cause: cause ?? `the orchestrator execution of run ${runId} ended ${status}`,
      });
    },

    async fail(runId: string, error: CaughtError): Promise<Run> {
      const run = await load(runId);
      // The operator stopped it: the stop is not a failure to tell them about.
      if (run.status === 'CANCELLED') return run;
      if (run.status === 'FAILED') {
        await tell(run);
        return run;
      }
      const intents = await deps.store.listIntents(runId);
      // A rejection (or an expiry) the run failed on is on record before the failure is.
      for (const held of intents.filter((i) => i.status === 'AWAITING_APPROVAL'))
        await deps.decisions?.step(runId, held.stepIndex);
      const account = failureAccount(error, intents);
      try {
        const failed = await deps.store.updateRun(runId, ['QUEUED', 'RUNNING'], {
          status: 'FAILED',
          failure: { error: error.Error, cause: causeMessage(error.Cause), account },
          finishedAt: now(),
          updatedAt: now(),
        });
        await deps.store.appendJournal({ runId, at: now(), kind: 'failure', message: account });
        await remember(failed);
        await tell(failed);
        return failed;
      } catch (e) {
        if (!(e instanceof ConflictError)) throw e;
        const current = await load(runId);
        await tell(current);
        return current;
      }
    },
  };
}
