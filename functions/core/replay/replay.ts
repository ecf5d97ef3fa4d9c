import { randomBytes } from 'node:crypto';
import { draftMemoryRequest, modelStepCall, modelStepKind, parseOutput } from '../agents/model-step.ts';
import { resolveStepParams } from '../agents/step-outputs.ts';
import type { Risk } from '../connector.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { failedCheckBefore } from '../executor.ts';
import type { MemoryService } from '../memory/memory-service.ts';
import type { MemoryHit } from '../memory/schemas.ts';
import {
  buildPrompt,
  fixedPlan,
  MAX_PLAN_TOKENS,
  PLANNER_SYSTEM_PROMPT,
  parsePlan,
  planMemoryRequest,
} from '../planner.ts';
import { decide } from '../policy.ts';
import type { Clock, ModelPort, StateStore, WorkflowCatalog } from '../ports.ts';
import {
  type Intent,
  isModelStep,
  type OperatorPolicy,
  type PlanStep,
  type Run,
  type Workflow,
} from '../schemas.ts';
import { parseOrThrow } from '../validation.ts';
import { diffStep } from './diff.ts';
import { type RecordedRun, readRecordedRun } from './original.ts';
import {
  type ReplayEffect,
  type ReplayModel,
  type ReplayRecord,
  type ReplayRequest,
  ReplayRequestSchema,
  type ReplayStep,
  type ReplayStore,
  type StepOutcome,
} from './schemas.ts';
import { type StateSnapshot, stateSnapshot, stateWriteOf } from './snapshot.ts';

export interface ReplayDeps {
  /** Read only: a replay writes nothing but its own record (to `replays`). */
  store: Pick<StateStore, 'getRun' | 'getPlan' | 'listIntents' | 'listJournal' | 'getEntityAsOf'>;
  catalog: WorkflowCatalog;
  clock: Clock;
  /** The operator's policy as it stands: a replay shows what the policy would decide today. */
  operatorPolicy: () => Promise<OperatorPolicy>;
  riskOf: (actionType: string) => Risk | undefined;
  validateParams: (actionType: string, params: Record<string, unknown>) => string | undefined;
  replays: ReplayStore;
  /** Asked only with `--model current`. */
  model?: ModelPort;
  /** Retrievals are made again only with `--model current`. */
  memory?: MemoryService;
}

/** What the walk through the replay's plan carries from step to step. */
interface Walk {
  run: Run;
  workflow: Workflow;
  model: ReplayModel;
  recorded: RecordedRun;
  snapshot: StateSnapshot;
  operator: OperatorPolicy;
  /** The replay's own intents, never stored: what later steps read their `{{steps.*}}` from. */
  intents: Intent[];
}

const stepIntent = (
  run: Run,
  stepIndex: number,
  step: PlanStep,
  output?: Record<string, unknown>,
): Intent => ({
  runId: run.runId,
  stepIndex,
  stepId: step.id,
  title: step.title,
  action: step.action,
  idempotencyKey: `replay-${stepIndex}`,
  status: output ? 'SUCCEEDED' : 'RECORDED',
  attempts: 0,
  recordedAt: run.createdAt,
  ...(output ? { result: { ok: true, output, durationMs: 0 } } : {}),
});

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Replays a past run with every effect off: the same domain code the planner, the model steps and
 * the executor use, driven step by step in process, against canonical state as it stood at the
 * run's start, with the recorded model answers (or fresh ones), and nothing sent anywhere. The
 * result, step by step against the original, is stored as a record linked to the run.
 */
export function createReplay(deps: ReplayDeps) {
  async function replayRun(runId: string, request: ReplayRequest, by: string): Promise<ReplayRecord> {
    const { playbookVersion, model } = parseOrThrow(ReplayRequestSchema, request, 'replay request');
    const run = await deps.store.getRun(runId);
    if (!run) throw new NotFoundError(`run ${runId} does not exist`);
    const version = playbookVersion ?? run.workflowVersion;
    const workflow = await deps.catalog.workflow(run.workflow, version);
    if (!workflow) throw new NotFoundError(`playbook ${run.workflow} has no version ${version}`);
    if (model === 'current' && !deps.model) {
      throw new ValidationError('this runtime has no model to ask: replay with the recorded model', [
        { path: 'model', message: 'no model port is configured here' },
      ]);
    }
    const [plan, intents, journal, operator] = await Promise.all([
      deps.store.getPlan(runId),
      deps.store.listIntents(runId),
      deps.store.listJournal(runId),
      deps.operatorPolicy(),
    ]);
    const recorded = readRecordedRun(plan, intents, journal);
    const walk: Walk = {
      run,
      workflow,
      model,
      recorded,
      snapshot: stateSnapshot(deps.store, run.createdAt),
      operator,
      intents: [],
    };
    const planning = await replayPlan(walk);
    const steps: ReplayStep[] = [];
    for (const [stepIndex, step] of planning.steps.entries()) {
      const outcome = await replayStep(walk, stepIndex, step);
      const originalStep = recorded.plan.find((s) => s.id === step.id);
      const change = !originalStep
        ? 'added'
        : sameJson(originalStep.action, step.action)
          ? 'same'
          : 'changed';
      const original = recorded.outcomes.get(step.id);
      steps.push({
        stepId: step.id,
        title: step.title,
        plan: change,
        ...(original ? { original } : {}),
        replay: outcome,
        differences: diffStep(change, originalStep?.action, step.action, original, outcome),
      });
    }
    for (const removed of recorded.plan.filter((s) => !planning.steps.some((r) => r.id === s.id))) {
      const original = recorded.outcomes.get(removed.id);
      steps.push({
        stepId: removed.id,
        title: removed.title,
        plan: 'removed',
        ...(original ? { original } : {}),
        differences: diffStep('removed', removed.action, undefined, original, undefined),
      });
    }
    const planCostDiffers = Math.abs(planning.costUsd - recorded.planCostUsd) > 1e-9;
    const sum = (outcomes: (StepOutcome | undefined)[]) =>
      outcomes.reduce((total, o) => total + (o?.costUsd ?? 0), 0);
    const now = deps.clock.now().toISOString();
    const record: ReplayRecord = {
      replayId: `${runId}-replay-${now.replace(/\D/g, '').slice(0, 14)}-${randomBytes(3).toString('hex')}`,
      runId,
      workflow: run.workflow,
      originalVersion: run.workflowVersion,
      playbookVersion: version,
      model,
      snapshotAt: run.createdAt,
      createdAt: now,
      by,
      steps,
      planning: {
        originalUsd: recorded.planCostUsd,
        replayUsd: planning.costUsd,
        ...(planning.note ? { note: planning.note } : {}),
      },
      differences: steps.reduce((n, s) => n + s.differences.length, 0) + (planCostDiffers ? 1 : 0),
      effects: steps.flatMap((s) =>
        s.replay?.effect && s.replay.effect.when !== 'shadowed'
          ? [{ stepId: s.stepId, ...s.replay.effect }]
          : [],
      ),
      reads: walk.snapshot.reads(),
      cost: {
        originalUsd: recorded.planCostUsd + sum(steps.map((s) => s.original)),
        replayUsd: planning.costUsd + sum(steps.map((s) => s.replay)),
      },
    };
    await deps.replays.saveReplay(record);
    return record;
  }

  /**
   * The replay's plan: a playbook with fixed steps is its own plan, as for the run; a goal is
   * planned from the recorded answer, or by asking the model again.
   */
  async function replayPlan(walk: Walk): Promise<{ steps: PlanStep[]; costUsd: number; note?: string }> {
    const { workflow, run, recorded } = walk;
    if (workflow.steps) return { steps: fixedPlan(workflow, run), costUsd: 0 };
    if (walk.model === 'recorded') {
      if (recorded.planAnswer === undefined) {
        return {
          steps: recorded.plan,
          costUsd: 0,
          note: 'the run recorded no planner answer: its own plan is replayed',
        };
      }
      return { steps: parsePlan(recorded.planAnswer, workflow), costUsd: recorded.planCostUsd };
    }
    const model = deps.model as ModelPort;
    const memories = await retrieve(planMemoryRequest(workflow));
    const response = await model.converse({
      tier: workflow.model.tier,
      system: PLANNER_SYSTEM_PROMPT,
      prompt: buildPrompt(workflow, run, memories),
      maxTokens: MAX_PLAN_TOKENS,
    });
    return {
      steps: parsePlan(response.text, workflow),
      costUsd: model.priceUsd(response.modelId, response.inputTokens, response.outputTokens),
    };
  }

  /** A fresh retrieval (`--model current` only); none without a memory. */
  async function retrieve(request: unknown): Promise<MemoryHit[]> {
    if (!deps.memory) return [];
    return (await deps.memory.search(request)).hits;
  }

  async function replayStep(walk: Walk, stepIndex: number, step: PlanStep): Promise<StepOutcome> {
    return isModelStep(step.action.type)
      ? replayModelStep(walk, stepIndex, step)
      : replayAction(walk, stepIndex, step);
  }

  /** A model step: the recorded output (and cost), or a fresh call through the model port. */
  async function replayModelStep(walk: Walk, stepIndex: number, step: PlanStep): Promise<StepOutcome> {
    const base = {
      stepIndex,
      action: step.action,
      decision: 'allow' as const,
      approvalNeeded: false,
      effect: null,
    };
    const answered =
      walk.model === 'recorded' ? recordedModelStep(walk, step) : await freshModelStep(walk, stepIndex, step);
    const intent = stepIntent(walk.run, stepIndex, step, answered.output);
    if (answered.check) intent.check = answered.check;
    walk.intents.push(intent);
    return {
      ...base,
      costUsd: answered.costUsd,
      ...(answered.output ? { output: answered.output } : {}),
      ...(answered.note ? { note: answered.note } : {}),
    };
  }

  /** What a model step answered in the replay; `check` is the slow tier's cross-check, when one was made. */
  interface Answered {
    output?: Record<string, unknown>;
    costUsd: number;
    note?: string;
    check?: { ok: boolean; reason: string };
  }

  function recordedModelStep(walk: Walk, step: PlanStep): Answered {
    const intent = walk.recorded.intents.get(step.id);
    const outcome = walk.recorded.outcomes.get(step.id);
    if (intent?.status !== 'SUCCEEDED' || !intent.result || !isModelStep(intent.action.type)) {
      return {
        costUsd: 0,
        note: 'no recorded answer for this step: replay with --model current to ask the model',
      };
    }
    return {
      output: intent.result.output,
      costUsd: outcome?.costUsd ?? 0,
      ...(intent.check ? { check: intent.check } : {}),
    };
  }

  async function freshModelStep(walk: Walk, stepIndex: number, step: PlanStep): Promise<Answered> {
    const spec = step.model;
    if (!spec) return { costUsd: 0, note: 'a model step without its model spec' };
    const model = deps.model as ModelPort;
    const kind = modelStepKind(step.action.type);
    const outputs = Object.fromEntries(
      walk.intents
        .filter((i) => i.stepIndex < stepIndex && i.status === 'SUCCEEDED' && i.result)
        .map((i) => [i.stepId, { output: i.result?.output ?? {} }]),
    );
    try {
      const memories =
        kind === 'draft' ? await retrieve(draftMemoryRequest(walk.run, walk.workflow, step.id, spec)) : [];
      const call = modelStepCall(walk.run, spec, kind, outputs, memories);
      const response = await model.converse({
        tier: spec.tier ?? walk.workflow.model.tier,
        system: call.system,
        prompt: call.prompt,
        maxTokens: spec.maxTokens,
      });
      return {
        output: parseOutput(kind, response.text, call.schema, step.id),
        costUsd: model.priceUsd(response.modelId, response.inputTokens, response.outputTokens),
      };
    } catch (error) {
      return { costUsd: 0, note: `the model could not answer: ${(error as Error).message}` };
    }
  }

  /**
   * An external action: its parameters filled from earlier outputs, the policy's decision (and a
   * failed cross-check's hold) as the executor makes them, and the effect it would make, rendered,
   * never sent. When the run made exactly this effect, its recorded result stands in for the gateway's.
   */
  async function replayAction(walk: Walk, stepIndex: number, step: PlanStep): Promise<StepOutcome> {
    const unresolved = (note: string): StepOutcome => {
      walk.intents.push(stepIntent(walk.run, stepIndex, step));
      return { stepIndex, action: step.action, approvalNeeded: false, effect: null, costUsd: 0, note };
    };
    let params: Record<string, unknown>;
    try {
      params = resolveStepParams(step.action.params, walk.intents, stepIndex).params;
    } catch (error) {
      return unresolved((error as Error).message);
    }
    const action = { type: step.action.type, params };
    const problem = deps.validateParams(action.type, params);
    if (problem) return unresolved(`the step cannot run with these parameters: ${problem}`);
    const verdict = decide({
      workflow: walk.workflow,
      operator: walk.operator,
      action,
      risk: deps.riskOf(action.type),
    });
    const held = verdict.decision === 'allow' ? failedCheckBefore(walk.intents, stepIndex) : undefined;
    const { decision, reason } = held
      ? {
          decision: 'needs-approval' as const,
          reason: `the cross-check of step ${held.stepIndex + 1} ${held.stepId} failed: ${held.check?.reason}`,
        }
      : verdict;
    const original = walk.recorded.intents.get(step.id);
    // The approver's answer is recorded like the model's: a step held for approval as it was
    // then goes out as approved then, with any edit the approver made.
    const approvedAsRecorded =
      walk.model === 'recorded' &&
      decision === 'needs-approval' &&
      original?.reason?.startsWith('approved') === true &&
      sameJson(walk.recorded.plan.find((s) => s.id === step.id)?.action, step.action);
    if (approvedAsRecorded && original) action.params = original.action.params;
    const sameEffect = original && sameJson(original.action, action) && original.result;
    let effect: ReplayEffect | null = null;
    if (decision !== 'deny') {
      const writes = await stateWriteOf(action, walk.snapshot);
      effect = {
        ...action,
        when:
          walk.run.mode === 'shadow' ? 'shadowed' : decision === 'needs-approval' ? 'after-approval' : 'now',
        ...(sameEffect && original.result ? { result: original.result.output } : {}),
        ...(writes ? { writes } : {}),
      };
    }
    walk.intents.push(
      stepIntent(walk.run, stepIndex, { ...step, action }, effect?.result ? effect.result : undefined),
    );
    return {
      stepIndex,
      action,
      decision,
      reason,
      approvalNeeded: decision === 'needs-approval',
      effect,
      costUsd: 0,
    };
  }

  return {
    replay: replayRun,
    /** The run's replays, oldest first; a run that does not exist is a NotFoundError. */
    async list(runId: string): Promise<ReplayRecord[]> {
      if (!(await deps.store.getRun(runId))) throw new NotFoundError(`run ${runId} does not exist`);
      return deps.replays.listReplays(runId);
    },
  };
}

export type Replay = ReturnType<typeof createReplay>;
