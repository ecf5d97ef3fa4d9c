import type { Approval } from '../approvals/approval.ts';
import { PRICES_AS_OF } from './prices.ts';
import { type RunCost, type RunRecord, runCost } from './usage.ts';

/** Failures that mean the operator took the run over, or stopped it. */
const HANDED_OFF_ERRORS = new Set(['ApprovalHandedOffError']);
const CANCELLED_ERRORS = new Set(['ExecutionAborted']);

export interface WorkflowMetrics {
  workflow: string;
  version: number;
  runs: number;
  succeeded: number;
  failed: number;
  /** Still queued or running at the end of the window. */
  inFlight: number;
  /** Failed runs by the failure account's error (ApprovalRejectedError, BudgetExceededError, ...). */
  failuresByCause: Record<string, number>;
  overrides: { rejected: number; edited: number; handedOff: number; cancelled: number };
  /** Finished runs only; null when none finished. */
  durationMs: { p50: number | null; p90: number | null };
  /** From each approval's request to its decision or expiry. */
  waitingForOperatorMs: number;
  /** Decisions whose opening was recorded, and the time between opening and deciding. */
  decisionTime: { measured: number; totalMs: number };
  /** The playbook's `minutesSavedPerRun`, or null when it declares none. */
  minutesSavedPerRun: number | null;
  /** minutesSavedPerRun × succeeded − measured decision minutes; null when the playbook declares no estimate. */
  timeSavedMinutes: number | null;
  cost: {
    modelUsd: number;
    awsUsd: number;
    totalUsd: number;
    perRunUsd: number | null;
    perSucceededUsd: number | null;
  };
}

export interface MetricsReport {
  since: string;
  until: string;
  pricesAsOf: string;
  workflows: WorkflowMetrics[];
}

/** Nearest rank: the smallest value with at least p% of the values at or below it. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? null;
}

const ms = (from: string, to: string) => Math.max(0, new Date(to).getTime() - new Date(from).getTime());

function waitedMs(approval: Approval): number {
  if (approval.decision) return ms(approval.createdAt, approval.decision.at);
  const expired = approval.history.find((e) => e.event === 'expired');
  return expired ? ms(approval.createdAt, expired.at) : 0;
}

const isEdited = (approval: Approval) =>
  approval.status === 'APPROVED' && Object.keys(approval.decision?.editedParams ?? {}).length > 0;

function metricsOf(
  workflow: string,
  version: number,
  records: readonly RunRecord[],
  costs: ReadonlyMap<string, RunCost>,
  minutesSavedPerRun: number | undefined,
): WorkflowMetrics {
  const runs = records.map((r) => r.run);
  const succeeded = runs.filter((r) => r.status === 'SUCCEEDED').length;
  const failedRuns = runs.filter((r) => r.status === 'FAILED');
  const failuresByCause: Record<string, number> = {};
  for (const run of failedRuns) {
    const cause = run.failure?.error ?? 'Unknown';
    failuresByCause[cause] = (failuresByCause[cause] ?? 0) + 1;
  }
  const approvals = records.flatMap((r) => r.approvals);
  const decided = approvals.filter((a) => a.decision?.openedAt !== undefined);
  const decisionMs = decided.reduce(
    (sum, a) => sum + ms(a.decision?.openedAt ?? a.createdAt, a.decision?.at ?? a.createdAt),
    0,
  );
  const durations = runs
    .filter((r) => r.finishedAt !== undefined)
    .map((r) => ms(r.createdAt, r.finishedAt ?? r.createdAt))
    .sort((a, b) => a - b);
  const modelUsd = records.reduce((sum, r) => sum + (costs.get(r.run.runId)?.modelUsd ?? 0), 0);
  const awsUsd = records.reduce((sum, r) => sum + (costs.get(r.run.runId)?.awsUsd ?? 0), 0);
  const totalUsd = modelUsd + awsUsd;
  return {
    workflow,
    version,
    runs: runs.length,
    succeeded,
    failed: failedRuns.length,
    inFlight: runs.length - succeeded - failedRuns.length,
    failuresByCause,
    overrides: {
      rejected: approvals.filter((a) => a.status === 'REJECTED').length,
      edited: approvals.filter(isEdited).length,
      handedOff: failedRuns.filter((r) => HANDED_OFF_ERRORS.has(r.failure?.error ?? '')).length,
      cancelled: failedRuns.filter((r) => CANCELLED_ERRORS.has(r.failure?.error ?? '')).length,
    },
    durationMs: { p50: percentile(durations, 50), p90: percentile(durations, 90) },
    waitingForOperatorMs: approvals.reduce((sum, a) => sum + waitedMs(a), 0),
    decisionTime: { measured: decided.length, totalMs: decisionMs },
    minutesSavedPerRun: minutesSavedPerRun ?? null,
    timeSavedMinutes:
      minutesSavedPerRun === undefined ? null : minutesSavedPerRun * succeeded - decisionMs / 60_000,
    cost: {
      modelUsd,
      awsUsd,
      totalUsd,
      perRunUsd: runs.length > 0 ? totalUsd / runs.length : null,
      perSucceededUsd: succeeded > 0 ? totalUsd / succeeded : null,
    },
  };
}

/**
 * The numbers per workflow and version over a window, from the runs' own records. The caller
 * picks the runs (created in the window); `minutesSaved` answers a playbook version's estimate.
 */
export function workflowMetrics(
  records: readonly RunRecord[],
  window: { since: string; until: string },
  minutesSaved: (workflow: string, version: number) => number | undefined,
): MetricsReport {
  const groups = new Map<string, RunRecord[]>();
  for (const record of records) {
    const key = `${record.run.workflow}\u0000${record.run.workflowVersion}`;
    groups.set(key, [...(groups.get(key) ?? []), record]);
  }
  const costs = new Map(records.map((r) => [r.run.runId, runCost(r)]));
  const workflows = [...groups.values()]
    .map((group) => {
      const { workflow, workflowVersion } = (group[0] as RunRecord).run;
      return metricsOf(workflow, workflowVersion, group, costs, minutesSaved(workflow, workflowVersion));
    })
    .sort((a, b) => (a.workflow === b.workflow ? b.version - a.version : a.workflow < b.workflow ? -1 : 1));
  return { since: window.since, until: window.until, pricesAsOf: PRICES_AS_OF, workflows };
}
