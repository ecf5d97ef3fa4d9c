import type { StateStore } from './ports.ts';
import type { Plan, Run } from './schemas.ts';

/** What a run is pinned to when it starts and keeps for its life: its workflow, version and policy. */
export type PinnedRun = Pick<Run, 'runId' | 'workflow' | 'workflowVersion' | 'policyVersion'>;

export interface RunFacts {
  /** The run's pinned fields; undefined when there is no such run. */
  run(runId: string): Promise<PinnedRun | undefined>;
  /** The run's plan, which is written once (`savePlan`); undefined while there is none. */
  plan(runId: string): Promise<Plan | undefined>;
}

/** Runs remembered per process: a Lambda container or the local runtime works on far fewer at once. */
const REMEMBERED_RUNS = 256;

/**
 * Reads of what cannot change once written, kept per process: every step of a run reads the same
 * plan and the same pinned run, and would otherwise read both again from the store. Nothing that
 * changes (a run's status, an intent) is kept here, and nothing is kept before it exists.
 */
export function createRunFacts(store: Pick<StateStore, 'getRun' | 'getPlan'>): RunFacts {
  const runs = new Map<string, PinnedRun>();
  const plans = new Map<string, Plan>();
  const remember = <T>(cache: Map<string, T>, runId: string, value: T) => {
    // Oldest first out: a Map iterates in insertion order.
    if (cache.size >= REMEMBERED_RUNS) cache.delete(cache.keys().next().value as string);
    cache.set(runId, value);
  };
  return {
    async run(runId) {
      const kept = runs.get(runId);
      if (kept) return kept;
      const run = await store.getRun(runId);
      if (!run) return undefined;
      const pinned: PinnedRun = {
        runId: run.runId,
        workflow: run.workflow,
        workflowVersion: run.workflowVersion,
        ...(run.policyVersion !== undefined && { policyVersion: run.policyVersion }),
      };
      remember(runs, runId, pinned);
      return pinned;
    },
    async plan(runId) {
      const kept = plans.get(runId);
      if (kept) return kept;
      const plan = await store.getPlan(runId);
      if (plan) remember(plans, runId, plan);
      return plan;
    },
  };
}
