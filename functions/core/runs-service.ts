import { randomBytes } from 'node:crypto';
import { NotFoundError, ValidationError } from './errors.ts';
import type { Clock, ExecutionEvent, Orchestrator, StateStore, WorkflowCatalog } from './ports.ts';
import type { AuditEntry, Intent, JournalEntry, Plan, Run, RunStatus, StartRunRequest } from './schemas.ts';

export interface RunsServiceDeps {
  store: StateStore;
  catalog: WorkflowCatalog;
  orchestrator: Orchestrator;
  clock: Clock;
}

export interface RunDetails {
  run: Run;
  plan?: Plan;
  intents: Intent[];
  journal: JournalEntry[];
}

/** Sortable and readable: workflow, UTC time, then randomness. Also a valid execution name. */
function newRunId(workflow: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${workflow}-${stamp}-${randomBytes(4).toString('hex')}`;
}

export function createRunsService(deps: RunsServiceDeps) {
  return {
    /** Writes the run record (with its budget and mode) before the orchestrator hears of it. */
    async start(request: StartRunRequest): Promise<Run> {
      const workflow = deps.catalog.get(request.workflow);
      if (!workflow) {
        const known = deps.catalog
          .list()
          .map((w) => w.name)
          .join(', ');
        throw new NotFoundError(`workflow ${request.workflow} does not exist; known workflows: ${known}`);
      }
      const missing = workflow.inputRequired.filter((field) => request.input[field] === undefined);
      if (missing.length > 0) {
        throw new ValidationError(
          `input is missing ${missing.join(', ')} (required by ${workflow.name})`,
          missing.map((field) => ({ path: `input.${field}`, message: 'required' })),
        );
      }
      const now = deps.clock.now();
      const run: Run = {
        runId: newRunId(workflow.name, now),
        workflow: workflow.name,
        workflowVersion: workflow.version,
        mode: request.mode ?? workflow.mode,
        status: 'QUEUED',
        input: request.input,
        budget: workflow.budget,
        spentUsd: 0,
        modelCalls: 0,
        createdAt: now.toISOString(),
        updatedAt: now.toISOString(),
      };
      await deps.store.createRun(run);
      await deps.orchestrator.startRun(run.runId);
      return run;
    },

    list(query: { status?: RunStatus; limit?: number }): Promise<Run[]> {
      return deps.store.listRuns(query);
    },

    /** Every attempt at an action in the run, allowed or not: what `aios audit` shows. */
    async audit(runId: string): Promise<AuditEntry[]> {
      if (!(await deps.store.getRun(runId))) throw new NotFoundError(`run ${runId} does not exist`);
      return deps.store.listAudit(runId);
    },

    /** The orchestrator's record of every transition of the run: what `aios history` shows. */
    async history(runId: string): Promise<ExecutionEvent[]> {
      if (!(await deps.store.getRun(runId))) throw new NotFoundError(`run ${runId} does not exist`);
      return deps.orchestrator.history(runId);
    },

    async details(runId: string): Promise<RunDetails> {
      const run = await deps.store.getRun(runId);
      if (!run) throw new NotFoundError(`run ${runId} does not exist`);
      const [plan, intents, journal] = await Promise.all([
        deps.store.getPlan(runId),
        deps.store.listIntents(runId),
        deps.store.listJournal(runId),
      ]);
      return { run, plan, intents, journal };
    },
  };
}
