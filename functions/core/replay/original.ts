import { type Intent, isModelStep, type JournalEntry, type Plan, type PolicyDecision } from '../schemas.ts';
import type { ReplayEffect, StepOutcome } from './schemas.ts';

/** What the run recorded of each step, read back from its plan, intents and journal. */
export interface RecordedRun {
  plan: Plan['steps'];
  /** By step id; compensating intents are left out (they are not the plan's). */
  intents: Map<string, Intent>;
  /** The planner's recorded answer, when the plan came from the model. */
  planAnswer?: string;
  planCostUsd: number;
  outcomes: Map<string, StepOutcome>;
}

const MADE = new Set(['SUCCEEDED', 'FAILED', 'OUTCOME_UNKNOWN', 'EXECUTING', 'COMPENSATED']);

interface ModelCall {
  purpose?: string;
  stepIndex?: number;
  answer?: string;
  costUsd?: number;
}

interface DecisionData {
  stepIndex?: number;
  decision?: PolicyDecision;
  reason?: string;
}

/** The cost of a step's model calls, from the journal (failed calls cost nothing: their reservation is given back). */
function modelCostOf(journal: readonly JournalEntry[], stepIndex: number): number {
  return journal
    .filter((e) => e.kind === 'model' && (e.data as ModelCall | undefined)?.stepIndex === stepIndex)
    .reduce((sum, e) => sum + Number((e.data as ModelCall).costUsd ?? 0), 0);
}

/**
 * The effect a step made: the action as it went to the gateway and what came back; a shadowed one
 * was only proposed. A step that was denied, rejected or never reached made none.
 */
function effectOf(intent: Intent): ReplayEffect | null {
  if (isModelStep(intent.action.type)) return null;
  if (intent.status === 'SHADOWED') return { ...intent.action, when: 'shadowed' };
  if (!MADE.has(intent.status)) return null;
  return {
    ...intent.action,
    when: intent.reason?.startsWith('approved') ? 'after-approval' : 'now',
    ...(intent.result ? { result: intent.result.output } : {}),
  };
}

export function readRecordedRun(
  plan: Plan | undefined,
  intents: readonly Intent[],
  journal: readonly JournalEntry[],
): RecordedRun {
  const planned = intents.filter((i) => i.compensates === undefined);
  const byId = new Map(planned.map((i) => [i.stepId, i]));
  // The first decision the policy made for a step: an approval later turns the intent's decision to allow.
  const firstDecision = new Map<number, DecisionData>();
  for (const entry of journal) {
    const data = entry.data as DecisionData | undefined;
    if (entry.kind !== 'decision' || data?.stepIndex === undefined || !data.decision) continue;
    if (!firstDecision.has(data.stepIndex)) firstDecision.set(data.stepIndex, data);
  }
  const planCalls = journal.filter(
    (e) => e.kind === 'model' && (e.data as ModelCall | undefined)?.purpose === 'plan',
  );
  const outcomes = new Map<string, StepOutcome>();
  for (const intent of planned) {
    const decided = firstDecision.get(intent.stepIndex);
    const decision = decided?.decision ?? intent.decision;
    outcomes.set(intent.stepId, {
      stepIndex: intent.stepIndex,
      action: intent.action,
      ...(decision ? { decision } : {}),
      ...((decided?.reason ?? intent.reason) ? { reason: decided?.reason ?? intent.reason } : {}),
      approvalNeeded: decision === 'needs-approval',
      effect: effectOf(intent),
      costUsd: modelCostOf(journal, intent.stepIndex),
      ...(isModelStep(intent.action.type) && intent.result ? { output: intent.result.output } : {}),
    });
  }
  const planAnswer = planCalls.map((e) => (e.data as ModelCall).answer).findLast((a) => a !== undefined);
  return {
    plan: plan?.steps ?? [],
    intents: byId,
    ...(planAnswer !== undefined ? { planAnswer } : {}),
    planCostUsd: planCalls.reduce((sum, e) => sum + Number((e.data as ModelCall).costUsd ?? 0), 0),
    outcomes,
  };
}
