import type { Approval } from '../approvals/approval.ts';
import { type ApprovalStore, approvalIdFor } from '../approvals/service.ts';
import { NotFoundError } from '../errors.ts';
import type { Clock, Orchestrator, StateStore, WorkflowCatalog } from '../ports.ts';
import type { Run } from '../schemas.ts';
import { type DayPoint, dailySeries } from './daily.ts';
import { PRICES_AS_OF } from './prices.ts';
import { type RunCost, type RunRecord, runCost } from './usage.ts';
import { type MetricsReport, workflowMetrics } from './workflow-metrics.ts';

export interface MetricsDeps {
  store: Pick<StateStore, 'listRuns' | 'getRun' | 'listJournal' | 'listAudit' | 'listIntents'>;
  approvals: Pick<ApprovalStore, 'get'>;
  orchestrator: Pick<Orchestrator, 'history'>;
  catalog: WorkflowCatalog;
  clock: Clock;
}

/** A window holding more runs than this is reported on its newest ones, and says so. */
export const MAX_RUNS = 5_000;

async function runsSince(deps: MetricsDeps, since: string, workflow: string | undefined) {
  const runs = await deps.store.listRuns({ createdSince: since, limit: MAX_RUNS });
  return {
    runs: workflow ? runs.filter((run) => run.workflow === workflow) : runs,
    truncated: runs.length >= MAX_RUNS,
  };
}

async function approvalsOf(
  deps: MetricsDeps,
  runId: string,
  stepIndexes: readonly number[],
): Promise<Approval[]> {
  const found = await Promise.all(stepIndexes.map((i) => deps.approvals.get(approvalIdFor(runId, i))));
  return found.filter((a): a is Approval => a !== undefined);
}

async function recordOf(deps: MetricsDeps, run: Run): Promise<RunRecord> {
  const [journal, audit, intents, history] = await Promise.all([
    deps.store.listJournal(run.runId),
    deps.store.listAudit(run.runId),
    deps.store.listIntents(run.runId),
    deps.orchestrator.history(run.runId),
  ]);
  // Only a step the policy sent for approval has an approval record; asking for the others costs reads for nothing.
  const asked = [...new Set(audit.filter((e) => e.outcome === 'needs-approval').map((e) => e.stepIndex))];
  return { run, journal, audit, intents, history, approvals: await approvalsOf(deps, run.runId, asked) };
}

/** The metrics and the cost of a run, read from the stores at the time of asking. */
export function createMetricsService(deps: MetricsDeps) {
  const minutesSavedBy = async () => {
    const newest = new Map((await deps.catalog.workflows()).map((w) => [w.name, w]));
    return (workflow: string, version: number) => {
      const current = newest.get(workflow);
      // The newest version's estimate counts for older versions' runs too: the operator's best figure.
      return current && current.version >= version ? current.minutesSavedPerRun : undefined;
    };
  };
  return {
    async metrics(query: {
      since: Date;
      workflow?: string;
    }): Promise<MetricsReport & { truncated: boolean; daily: Record<string, DayPoint[]> }> {
      const since = query.since.toISOString();
      const until = deps.clock.now().toISOString();
      const { runs, truncated } = await runsSince(deps, since, query.workflow);
      const records = await Promise.all(runs.map((run) => recordOf(deps, run)));
      const costs = new Map(records.map((r) => [r.run.runId, runCost(r).totalUsd]));
      return {
        ...workflowMetrics(records, { since, until }, await minutesSavedBy()),
        truncated,
        // Runs and cost per day per workflow: the workflows page's chart.
        daily: dailySeries(runs, (runId) => costs.get(runId) ?? 0, { since, until }),
      };
    },
    async runCost(runId: string): Promise<RunCost & { pricesAsOf: string }> {
      const run = await deps.store.getRun(runId);
      if (!run) throw new NotFoundError(`run ${runId} does not exist`);
      return { ...runCost(await recordOf(deps, run)), pricesAsOf: PRICES_AS_OF };
    },
  };
}
export type MetricsService = ReturnType<typeof createMetricsService>;
