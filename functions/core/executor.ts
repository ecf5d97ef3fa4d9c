import { NotFoundError } from './errors.ts';
import { idempotencyKeyFor } from './idempotency-key.ts';
import { workflowOf } from './planner.ts';
import { decide } from './policy.ts';
import type { Clock, StateStore, WorkflowCatalog } from './ports.ts';
import type { Action, PlanStep, PolicyDecision } from './schemas.ts';

export interface ExecutorDeps {
  store: StateStore;
  catalog: WorkflowCatalog;
  clock: Clock;
}

export interface RecordedIntent {
  idempotencyKey: string;
  decision: PolicyDecision;
  reason: string;
  action: Action;
}

export function createExecutor(deps: ExecutorDeps) {
  return {
    /**
     * Persists the step's intent before anything can happen, then applies the policy. Called
     * again after a crash it finds the intent and returns the same key and decision.
     */
    async recordIntent(runId: string, stepIndex: number, step: PlanStep): Promise<RecordedIntent> {
      const run = await deps.store.getRun(runId);
      if (!run) throw new NotFoundError(`run ${runId} does not exist`);
      const plan = await deps.store.getPlan(runId);
      const planned = plan?.steps[stepIndex];
      // The plan on record is the truth; a step that differs from it did not come from the planner.
      if (!planned || planned.id !== step.id) {
        throw new NotFoundError(`step ${stepIndex} (${step.id}) is not in the recorded plan of run ${runId}`);
      }
      const now = deps.clock.now().toISOString();
      const verdict = decide(workflowOf(deps.catalog, run), planned.action);
      const intent = await deps.store.recordIntent({
        runId,
        stepIndex,
        stepId: planned.id,
        title: planned.title,
        action: planned.action,
        idempotencyKey: idempotencyKeyFor(runId, stepIndex, planned.id),
        status: verdict.decision === 'deny' ? 'DENIED' : 'RECORDED',
        decision: verdict.decision,
        reason: verdict.reason,
        attempts: 0,
        recordedAt: now,
      });
      await deps.store.appendJournal({
        runId,
        at: now,
        kind: 'decision',
        message: `step ${stepIndex + 1} ${planned.id}: ${intent.decision} (${intent.reason})`,
        data: { stepIndex, action: planned.action.type, decision: intent.decision, reason: intent.reason },
      });
      return {
        idempotencyKey: intent.idempotencyKey,
        decision: intent.decision ?? verdict.decision,
        reason: intent.reason ?? verdict.reason,
        action: intent.action,
      };
    },
  };
}
