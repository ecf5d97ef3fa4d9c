import { ExpectationFailedError, NotFoundError } from './errors.ts';
import type { Clock, StateStore } from './ports.ts';
import { createRunFacts } from './run-facts.ts';
import type { ActionResult } from './schemas.ts';

export interface MonitorDeps {
  store: StateStore;
  clock: Clock;
}

export interface StepOutcome {
  stepId: string;
  ok: boolean;
  note: string;
}

export function createMonitor(deps: MonitorDeps) {
  // Every step of a run checks against the same plan, written once: read once per process.
  const facts = createRunFacts(deps.store);
  return {
    /** Checks an executed step against what the playbook expected of it. */
    async check(runId: string, stepIndex: number, result: ActionResult): Promise<StepOutcome> {
      const plan = await facts.plan(runId);
      const step = plan?.steps[stepIndex];
      if (!step) throw new NotFoundError(`step ${stepIndex} is not in the plan of run ${runId}`);
      const problems: string[] = [];
      if (!result.ok) problems.push('the connector reported the action as not ok');
      // A shadowed action ran nowhere: there is no answer to hold against the expectation.
      const shadowed = result.output.shadow === true;
      const statuses = step.expect?.status;
      const status = result.output.status;
      if (!shadowed && statuses && !(typeof status === 'number' && statuses.includes(status))) {
        problems.push(`expected status ${statuses.join(' or ')}, got ${String(status)}`);
      }
      const note =
        problems.length === 0
          ? `${step.title}: ${shadowed ? 'shadowed, not executed' : `done in ${result.durationMs} ms`}`
          : `${step.title}: ${problems.join('; ')}`;
      await deps.store.appendJournal({
        runId,
        at: deps.clock.now().toISOString(),
        kind: 'monitor',
        message: `step ${stepIndex + 1} ${step.id}: ${problems.length === 0 ? 'ok' : 'not as expected'}`,
        data: { stepIndex, problems },
      });
      if (problems.length > 0) throw new ExpectationFailedError(note);
      return { stepId: step.id, ok: true, note };
    },
  };
}
