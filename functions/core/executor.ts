import { type GrantSigner, mintGrant } from './capability.ts';
import type { Compensation, Risk } from './connector.ts';
import { NotFoundError } from './errors.ts';
import { idempotencyKeyFor } from './idempotency-key.ts';
import { workflowOf } from './planner.ts';
import { decide } from './policy.ts';
import type { Clock, StateStore, WorkflowCatalog } from './ports.ts';
import type { Action, IntentStatus, OperatorPolicy, PlanStep, PolicyDecision } from './schemas.ts';

export const EXECUTOR_AGENT = 'executor';

export interface ExecutorDeps {
  store: StateStore;
  catalog: WorkflowCatalog;
  clock: Clock;
  operatorPolicy: OperatorPolicy;
  /** The risk of an action type, from the connector catalogue; undefined when none handles it. */
  riskOf: (actionType: string) => Risk | undefined;
  signer: GrantSigner;
  /** How an action type's effect is undone, from the connector catalogue. */
  compensationOf: (actionType: string) => Compensation | undefined;
}

/** Compensating intents take step indexes from here on, so they never collide with the plan's. */
export const COMPENSATION_BASE = 1000;

export interface CompensationStep {
  stepIndex: number;
  idempotencyKey: string;
  action: Action;
  grant: string;
}

export interface RecordedIntent {
  idempotencyKey: string;
  decision: PolicyDecision;
  reason: string;
  action: Action;
  /** The capability grant for this step; empty unless the decision is allow. */
  grant: string;
}

const STATUS_FOR: Record<PolicyDecision, IntentStatus> = {
  allow: 'RECORDED',
  'needs-approval': 'AWAITING_APPROVAL',
  deny: 'DENIED',
};

const AUDIT_FOR = { allow: 'allowed', 'needs-approval': 'needs-approval', deny: 'denied' } as const;

export function createExecutor(deps: ExecutorDeps) {
  return {
    /**
     * Persists the step's intent before anything can happen, applies the policy and, when it
     * allows the step, mints a grant scoped to exactly this run, step and action type. Called
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
      const now = deps.clock.now();
      const workflow = workflowOf(deps.catalog, run);
      const verdict = decide({
        workflow,
        operator: deps.operatorPolicy,
        action: planned.action,
        risk: deps.riskOf(planned.action.type),
      });
      const idempotencyKey = idempotencyKeyFor(runId, stepIndex, planned.id);
      const existing = await deps.store.getIntent(runId, stepIndex);
      const intent =
        existing ??
        (await deps.store.recordIntent({
          runId,
          stepIndex,
          stepId: planned.id,
          title: planned.title,
          action: planned.action,
          idempotencyKey,
          status: STATUS_FOR[verdict.decision],
          decision: verdict.decision,
          reason: verdict.reason,
          attempts: 0,
          recordedAt: now.toISOString(),
        }));
      const decision = intent.decision ?? verdict.decision;
      const reason = intent.reason ?? verdict.reason;
      if (!existing) {
        await deps.store.appendJournal({
          runId,
          at: now.toISOString(),
          kind: 'decision',
          message: `step ${stepIndex + 1} ${planned.id}: ${decision} (${reason})`,
          data: { stepIndex, action: planned.action.type, decision, reason },
        });
        await deps.store.appendAudit({
          runId,
          stepIndex,
          at: now.toISOString(),
          outcome: AUDIT_FOR[decision],
          actionType: planned.action.type,
          agent: EXECUTOR_AGENT,
          idempotencyKey: intent.idempotencyKey,
          decision,
          reason,
        });
      }
      const grant =
        decision === 'allow'
          ? await mintGrant(
              deps.signer,
              {
                agent: EXECUTOR_AGENT,
                workflow: workflow.name,
                runId,
                stepIndex,
                actions: [intent.action.type],
              },
              now,
            )
          : '';
      return { idempotencyKey: intent.idempotencyKey, decision, reason, action: intent.action, grant };
    },

    /**
     * After the operator approved a held step: the intent becomes RECORDED (with the approver's
     * edits, if any) and gets its grant, so the gateway will run it. Safe to repeat.
     */
    async authorizeApproved(
      runId: string,
      stepIndex: number,
      params: Record<string, unknown> | undefined,
    ): Promise<RecordedIntent> {
      const run = await deps.store.getRun(runId);
      if (!run) throw new NotFoundError(`run ${runId} does not exist`);
      const workflow = workflowOf(deps.catalog, run);
      const existing = await deps.store.getIntent(runId, stepIndex);
      if (!existing) throw new NotFoundError(`no intent for run ${runId} step ${stepIndex}`);
      const now = deps.clock.now();
      const intent =
        existing.status === 'AWAITING_APPROVAL'
          ? await deps.store.updateIntent(runId, stepIndex, ['AWAITING_APPROVAL'], {
              status: 'RECORDED',
              decision: 'allow',
              reason: `approved (${existing.reason ?? 'the policy asked for approval'})`,
              action: params ? { ...existing.action, params } : existing.action,
            })
          : existing;
      const grant = await mintGrant(
        deps.signer,
        { agent: EXECUTOR_AGENT, workflow: workflow.name, runId, stepIndex, actions: [intent.action.type] },
        now,
      );
      return {
        idempotencyKey: intent.idempotencyKey,
        decision: 'allow',
        reason: intent.reason ?? 'approved',
        action: intent.action,
        grant,
      };
    },

    /**
     * After a failed run, when the workflow asks for it: one compensating intent per effect that
     * can be undone, newest first, each recorded (once) with its own key and grant before anything
     * runs. The gateway executes them like any other intent.
     */
    async planCompensation(runId: string): Promise<CompensationStep[]> {
      const run = await deps.store.getRun(runId);
      if (!run) throw new NotFoundError(`run ${runId} does not exist`);
      const workflow = workflowOf(deps.catalog, run);
      if (!workflow.compensateOnFailure) return [];
      const now = deps.clock.now();
      const intents = await deps.store.listIntents(runId);
      const done = intents
        .filter((i) => i.compensates === undefined && i.status === 'SUCCEEDED' && i.result)
        .sort((a, b) => b.stepIndex - a.stepIndex);
      const steps: CompensationStep[] = [];
      for (const original of done) {
        const compensation = deps.compensationOf(original.action.type);
        if (!compensation || !original.result) continue;
        const stepIndex = COMPENSATION_BASE + original.stepIndex;
        const stepId = `undo-${original.stepId}`.slice(0, 64);
        const action = {
          type: compensation.action,
          params: compensation.params(original.action.params, original.result.output),
        };
        const reason = `compensates step ${original.stepIndex + 1} (${original.action.type}) because run ${runId} failed`;
        const intent = await deps.store.recordIntent({
          runId,
          stepIndex,
          stepId,
          title: `Undo: ${original.title}`,
          action,
          idempotencyKey: idempotencyKeyFor(runId, stepIndex, stepId),
          status: 'RECORDED',
          decision: 'allow',
          reason,
          attempts: 0,
          recordedAt: now.toISOString(),
          compensates: original.stepIndex,
        });
        const grant = await mintGrant(
          deps.signer,
          { agent: EXECUTOR_AGENT, workflow: workflow.name, runId, stepIndex, actions: [intent.action.type] },
          now,
        );
        steps.push({ stepIndex, idempotencyKey: intent.idempotencyKey, action: intent.action, grant });
      }
      if (steps.length > 0) {
        await deps.store.appendJournal({
          runId,
          at: now.toISOString(),
          kind: 'decision',
          message: `compensating ${steps.length} effect${steps.length === 1 ? '' : 's'}, newest first: ${steps.map((s) => s.action.type).join(', ')}`,
        });
      }
      return steps;
    },
  };
}
