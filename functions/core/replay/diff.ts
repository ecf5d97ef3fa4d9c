import type { Action } from '../schemas.ts';
import type { ReplayEffect, ReplayStep, StepDifference, StepOutcome } from './schemas.ts';

/** An effect as compared: what would reach the outside, and when; results and previews are detail. */
const effectKey = (effect: ReplayEffect | null | undefined) =>
  effect ? JSON.stringify({ type: effect.type, params: effect.params, when: effect.when }) : 'none';

const slim = (effect: ReplayEffect | null | undefined) =>
  effect ? { type: effect.type, params: effect.params, when: effect.when } : null;

/** Cents of a cent apart are the same cost: prices are sums of floats. */
const COST_EPSILON = 1e-9;

/**
 * What differs in one step between the run and its replay: the plan (the step was added, removed
 * or changed), the policy's decision, whether an approval is needed, the effect made, the model
 * cost and a model step's output. A step the same in every respect has no differences.
 */
export function diffStep(
  change: ReplayStep['plan'],
  originalAction: Action | undefined,
  replayAction: Action | undefined,
  original: StepOutcome | undefined,
  replay: StepOutcome | undefined,
): StepDifference[] {
  const differences: StepDifference[] = [];
  if (change !== 'same') {
    differences.push({ field: 'plan', original: originalAction ?? null, replay: replayAction ?? null });
  }
  if (original?.decision !== replay?.decision) {
    differences.push({
      field: 'policy',
      original: original?.decision ?? null,
      replay: replay?.decision ?? null,
    });
  }
  if ((original?.approvalNeeded ?? false) !== (replay?.approvalNeeded ?? false)) {
    differences.push({
      field: 'approval',
      original: original?.approvalNeeded ?? false,
      replay: replay?.approvalNeeded ?? false,
    });
  }
  if (effectKey(original?.effect) !== effectKey(replay?.effect)) {
    differences.push({ field: 'effect', original: slim(original?.effect), replay: slim(replay?.effect) });
  }
  if (Math.abs((original?.costUsd ?? 0) - (replay?.costUsd ?? 0)) > COST_EPSILON) {
    differences.push({ field: 'cost', original: original?.costUsd ?? 0, replay: replay?.costUsd ?? 0 });
  }
  if (JSON.stringify(original?.output ?? null) !== JSON.stringify(replay?.output ?? null)) {
    differences.push({ field: 'output', original: original?.output ?? null, replay: replay?.output ?? null });
  }
  return differences;
}
