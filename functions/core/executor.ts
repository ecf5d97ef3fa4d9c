import { rememberIntentDrafts } from './agents/draft-memory.ts';
import { resolveStepParams } from './agents/step-outputs.ts';
import type { DecisionLog } from './approvals/decision-log.ts';
import { type GrantSigner, mintGrant } from './capability.ts';
import type { Compensation, Risk } from './connector.ts';
import { NotFoundError, StepOutputError } from './errors.ts';
import { idempotencyKeyFor } from './idempotency-key.ts';
import type { MemoryService } from './memory/memory-service.ts';
import { workflowOf } from './planner.ts';
import { decide } from './policy.ts';
import type { Clock, StateStore, StepLogs, WorkflowCatalog } from './ports.ts';
import { createRunFacts } from './run-facts.ts';
import { memoryNamespaceOf } from './run-recorder.ts';
import {
  type Action,
  type Intent,
  type IntentStatus,
  isModelStep,
  type OperatorPolicy,
  type PlanStep,
  type PolicyDecision,
  type Run,
} from './schemas.ts';

export const EXECUTOR_AGENT = 'executor';

export interface ExecutorDeps {
  store: StateStore;
  catalog: WorkflowCatalog;
  clock: Clock;
  /** The operator's policy at a version (the run's pinned one), or the newest when none is given. */
  operatorPolicy: (version?: number) => Promise<OperatorPolicy>;
  /** The risk of an action type, from the connector catalogue; undefined when none handles it. */
  riskOf: (actionType: string) => Risk | undefined;
  signer: GrantSigner;
  /** How an action type's effect is undone, from the connector catalogue. */
  compensationOf: (actionType: string) => Compensation | undefined;
  /** Checks parameters against the connector's schema; returns the problem, if any. */
  validateParams: (actionType: string, params: Record<string, unknown>) => string | undefined;
  /** Logs a held step's settled approval when a public endpoint decided it (decision-log.ts). */
  decisions?: Pick<DecisionLog, 'step'>;
  /** Long-term memory: an approved (or edited) draft is written when the approval is taken up. */
  memory?: Pick<MemoryService, 'write'>;
}

/**
 * The operator's decision on a drafted action, remembered now rather than only when the run
 * succeeds: an edit teaches the next draft however this run ends. A memory outage does not hold
 * the run up: the journal says so, and the run's success writes the same items again.
 */
async function rememberDecision(deps: ExecutorDeps, run: Run, intent: Intent) {
  if (!deps.memory || !intent.drafted?.length) return;
  try {
    const remembered = await rememberIntentDrafts(deps.memory, run, intent, memoryNamespaceOf(run));
    if (remembered.length === 0) return;
    await deps.store.appendJournal({
      runId: run.runId,
      at: deps.clock.now().toISOString(),
      kind: 'decision',
      message: `remembered for the next drafts: ${remembered.map((r) => `${r.id} (${r.kind})`).join(', ')}`,
      data: { remembered },
    });
  } catch (error) {
    await deps.store.appendJournal({
      runId: run.runId,
      at: deps.clock.now().toISOString(),
      kind: 'decision',
      message: `the approved draft could not be remembered now (${(error as Error).message}); the run's success tries again`,
    });
  }
}

/**
 * A model step since the last external action whose slow-tier cross-check failed: the next
 * external action waits for the operator, with the checker's reason.
 */
export function failedCheckBefore(intents: readonly Intent[], stepIndex: number): Intent | undefined {
  const before = intents.filter((i) => i.stepIndex < stepIndex && i.compensates === undefined);
  const lastExternal = Math.max(
    -1,
    ...before.filter((i) => !isModelStep(i.action.type)).map((i) => i.stepIndex),
  );
  return before.find(
    (i) => i.stepIndex > lastExternal && isModelStep(i.action.type) && i.check?.ok === false,
  );
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
  /** The policy's decision; `model` for a model step, which runs inside the run and records no intent here. */
  decision: PolicyDecision | 'model';
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

/**
 * A model step has no effect outside aios: the planner's model-step runner records and journals it,
 * so here it only gets routed. Deciding this in the executor, which every step visits first, spares
 * each step a Choice state (one billed transition) on AWS.
 */
function modelStepRoute(runId: string, stepIndex: number, step: PlanStep): RecordedIntent {
  return {
    idempotencyKey: idempotencyKeyFor(runId, stepIndex, step.id),
    decision: 'model',
    reason: `${step.action.type} runs inside the run, not through the gateway`,
    action: step.action,
    grant: '',
  };
}

export function createExecutor(deps: ExecutorDeps) {
  const facts = createRunFacts(deps.store);
  return {
    /**
     * Persists the step's intent before anything can happen, applies the policy and, when it
     * allows the step, mints a grant scoped to exactly this run, step and action type. Called
     * again after a crash it finds the intent and returns the same key and decision.
     */
    async recordIntent(runId: string, stepIndex: number, step: PlanStep): Promise<RecordedIntent> {
      if (isModelStep(step.action.type)) return modelStepRoute(runId, stepIndex, step);
      const run = await facts.run(runId);
      if (!run) throw new NotFoundError(`run ${runId} does not exist`);
      const plan = await facts.plan(runId);
      const planned = plan?.steps[stepIndex];
      // The plan on record is the truth; a step that differs from it did not come from the planner.
      if (!planned || planned.id !== step.id) {
        throw new NotFoundError(`step ${stepIndex} (${step.id}) is not in the recorded plan of run ${runId}`);
      }
      const now = deps.clock.now();
      const workflow = await workflowOf(deps.catalog, run);
      const idempotencyKey = idempotencyKeyFor(runId, stepIndex, planned.id);
      // Only a plan with model steps, or a step reading outputs, needs the earlier intents: others skip the read.
      const readsEarlier =
        plan.steps.some((s) => isModelStep(s.action.type)) ||
        JSON.stringify(planned.action.params).includes('{{');
      const earlier = readsEarlier ? await deps.store.listIntents(runId) : [];
      // Not read on its own: recordIntent below writes the intent once and, on a repeat (a crash
      // after it), answers the one written first. When the earlier intents were read, it is among them.
      const existing = earlier.find((i) => i.stepIndex === stepIndex && i.compensates === undefined);
      // Earlier steps' outputs fill this step's parameters now, and must fit its connector before
      // anything runs. Repeated, this finds the same outputs and the same parameters.
      const { params, drafted } = existing
        ? { params: existing.action.params, drafted: [] }
        : resolveStepParams(planned.action.params, earlier, stepIndex);
      const action = { type: planned.action.type, params };
      if (!existing) {
        const problem = deps.validateParams(action.type, params);
        if (problem) {
          throw new StepOutputError(
            `step ${stepIndex + 1} ${planned.id} (${action.type}) cannot run with the parameters filled from earlier steps: ${problem}`,
          );
        }
      }
      const policyVerdict = decide({
        workflow,
        operator: await deps.operatorPolicy(run.policyVersion),
        action,
        risk: deps.riskOf(action.type),
      });
      const held = policyVerdict.decision === 'allow' ? failedCheckBefore(earlier, stepIndex) : undefined;
      const verdict = held
        ? {
            decision: 'needs-approval' as const,
            reason: `the cross-check of step ${held.stepIndex + 1} ${held.stepId} failed: ${held.check?.reason}`,
          }
        : policyVerdict;
      // The decision's journal and audit entries, at the intent's time and under a fixed id:
      // each written once however often this runs.
      const logsOf = (intent: Intent): StepLogs => {
        const decision = intent.decision ?? verdict.decision;
        const reason = intent.reason ?? verdict.reason;
        const id = `decision-${stepIndex}`;
        return {
          journal: {
            entry: {
              runId,
              at: intent.recordedAt,
              kind: 'decision',
              message: `step ${stepIndex + 1} ${planned.id}: ${decision} (${reason})`,
              data: { stepIndex, action: intent.action.type, decision, reason },
            },
            id,
          },
          audit: {
            entry: {
              runId,
              stepIndex,
              at: intent.recordedAt,
              outcome: AUDIT_FOR[decision],
              actionType: intent.action.type,
              agent: EXECUTOR_AGENT,
              idempotencyKey: intent.idempotencyKey,
              decision,
              reason,
            },
            id,
          },
        };
      };
      let intent: Intent;
      let logged = false;
      if (existing) intent = existing;
      else {
        const fresh: Intent = {
          runId,
          stepIndex,
          stepId: planned.id,
          title: planned.title,
          action,
          idempotencyKey,
          status: STATUS_FOR[verdict.decision],
          decision: verdict.decision,
          reason: verdict.reason,
          attempts: 0,
          recordedAt: now.toISOString(),
          ...(drafted.length > 0 ? { drafted } : {}),
        };
        // A new intent and its entries in one commit.
        ({ intent, created: logged } = await deps.store.recordIntentWithLogs(fresh, logsOf(fresh)));
      }
      // A repeat (a crash after the intent): its entries are appended again, written once by id,
      // which also logs an intent an older version recorded without them.
      if (!logged) {
        const { journal, audit } = logsOf(intent);
        await deps.store.appendJournal(journal.entry, { id: journal.id });
        await deps.store.appendAudit(audit.entry, { id: audit.id });
      }
      const decision = intent.decision ?? verdict.decision;
      const reason = intent.reason ?? verdict.reason;
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
      const workflow = await workflowOf(deps.catalog, run);
      const existing = await deps.store.getIntent(runId, stepIndex);
      if (!existing) throw new NotFoundError(`no intent for run ${runId} step ${stepIndex}`);
      // The approval is on record before the action it allowed runs.
      await deps.decisions?.step(runId, stepIndex);
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
      // On a repeat too (a crash after the intent's update): the memory's ids make it write once.
      if (intent.status === 'RECORDED') await rememberDecision(deps, run, intent);
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
      const workflow = await workflowOf(deps.catalog, run);
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
        const reason = `compensates step ${original.stepIndex + 1} (${original.action.type}) because run ${runId} ${run.status === 'CANCELLED' ? 'was cancelled' : 'failed'}`;
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
