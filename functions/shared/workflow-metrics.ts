import type { Approval } from '../core/approvals/approval.ts';
import { METRIC_NAMES } from '../core/metrics/names.ts';
import { metrics } from './powertools.ts';

/** The dimension the dashboard's per-workflow graphs search on (lib/cloud/operator-console.ts). */
export const WORKFLOW_DIMENSION = 'workflow';

type Unit = 'Count' | 'None';

/**
 * One EMF document for one metric of one workflow, printed at once. A single metric of its own,
 * so the workflow dimension stays on it and off the handler's other metrics (RunSucceeded and the
 * like keep `service` alone, as the dashboard's run graph reads them).
 */
function emit(name: string, unit: Unit, value: number, workflow: string): void {
  const single = metrics.singleMetric();
  single.addDimension(WORKFLOW_DIMENSION, workflow);
  single.addMetric(name, unit, value);
}

/** A run that succeeded: the operator's estimate of the manual work it did, and what it cost. */
export function runSucceededMetrics(
  run: { workflow: string },
  facts: { minutesSaved?: number; costUsd: number },
) {
  if (facts.minutesSaved !== undefined)
    emit(METRIC_NAMES.timeSavedMinutes, 'Count', facts.minutesSaved, run.workflow);
  emit(METRIC_NAMES.runCostUsd, 'None', facts.costUsd, run.workflow);
}

/** The operator overrode the agent: rejected or edited a proposal, wrote a handed-off step, cancelled a run. */
export function humanOverrideMetric(workflow: string): void {
  emit(METRIC_NAMES.humanOverride, 'Count', 1, workflow);
}

/** A person decided against the proposal as it stood: rejected it, or changed it before approving. */
export function approvalOverridden(approval: Pick<Approval, 'workflow' | 'decision'>): void {
  const decision = approval.decision;
  if (!decision) return;
  const edited = Object.keys(decision.editedParams ?? {}).length > 0;
  if (decision.outcome === 'rejected' || edited) humanOverrideMetric(approval.workflow);
}
