import { randomBytes } from 'node:crypto';
import { ConflictError, IdempotencyKeyReusedError, NotFoundError } from './errors.ts';
import type { Clock, ExecutionEvent, Orchestrator, StateStore, WorkflowCatalog } from './ports.ts';
import { startQueuedRun } from './queued-run.ts';
import { executionNameOf, executionNamesOf } from './run-control/executions.ts';
import {
  IDEMPOTENCY_KEY_TTL_HOURS,
  type RunStartClaim,
  type RunStartClaims,
  requestHashOf,
} from './run-start-claims.ts';
import type {
  AuditEntry,
  Intent,
  JournalEntry,
  Plan,
  Run,
  RunMode,
  RunStatus,
  StartRunRequest,
} from './schemas.ts';
import { modeAuditId } from './trust/trust-service.ts';
import { parseRunInput } from './workflow-input.ts';

export interface RunsServiceDeps {
  store: StateStore;
  catalog: WorkflowCatalog;
  orchestrator: Orchestrator;
  clock: Clock;
  /** Which run each client idempotency key started. */
  claims: RunStartClaims;
  /** The mode the operator set for a workflow (`aios promote`/`demote`), over the playbook's. */
  modes?: { modeOf(workflow: string): Promise<RunMode | undefined> };
}

export interface StartedRun {
  run: Run;
  /** The key had already started this run: nothing new was started. */
  replayed: boolean;
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

export type RunsService = ReturnType<typeof createRunsService>;

export function createRunsService(deps: RunsServiceDeps) {
  /** The run a request asks for, checked against its workflow; nothing is written yet. */
  async function newRun(request: StartRunRequest, runId?: string, rerunOf?: string): Promise<Run> {
    // The newest version now: the run is pinned to it (workflowVersion) for every later step.
    const workflow = await deps.catalog.workflow(request.workflow);
    if (!workflow) {
      const known = (await deps.catalog.workflows()).map((w) => w.name).join(', ');
      throw new NotFoundError(`workflow ${request.workflow} does not exist; known workflows: ${known}`);
    }
    const input = parseRunInput(workflow, request.input);
    // Likewise the newest operator policy: the run's steps and approvals read that version.
    const policyVersion = await deps.catalog.policyVersion?.();
    const now = deps.clock.now();
    return {
      runId: runId ?? newRunId(workflow.name, now),
      workflow: workflow.name,
      workflowVersion: workflow.version,
      ...(policyVersion === undefined ? {} : { policyVersion }),
      mode: request.mode ?? workflow.mode,
      status: 'QUEUED',
      input,
      budget: workflow.budget,
      spentUsd: 0,
      modelCalls: 0,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      ...(rerunOf ? { rerunOf } : {}),
    };
  }

  /** The execution is named after the run, so finding it already started means it is started. */
  async function startExecution(runId: string): Promise<void> {
    try {
      await deps.orchestrator.startRun(runId);
    } catch (error) {
      if ((error as Error).name !== 'ExecutionAlreadyExists') throw error;
    }
  }

  /**
   * Finishes what a claim promises, whoever holds it: the first request, a concurrent duplicate, or
   * a retry after a crash between any two of these writes. Each step is safe to repeat.
   */
  async function carryOut(claim: RunStartClaim, fresh: boolean): Promise<Run> {
    const existing = fresh ? undefined : await deps.store.getRun(claim.run.runId);
    if (!existing) {
      try {
        await deps.store.createRun(claim.run);
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
      }
    }
    const run = existing ?? claim.run;
    // A run that has moved on has its execution; a QUEUED one may not have it yet.
    if (run.status !== 'QUEUED') return run;
    // A fresh claim's run id is new: no execution can have it yet.
    if (fresh) {
      await startExecution(run.runId);
      return run;
    }
    if ((await startQueuedRun(deps, run.runId, executionNameOf(run))) === 'started') return run;
    return (await deps.store.getRun(run.runId)) ?? run;
  }

  /** The workflow an audit id names: `workflow-<name>` or the bare name, when the catalogue has it. */
  async function workflowAuditedAs(id: string): Promise<string | undefined> {
    const names = id.startsWith('workflow-') ? [id.slice('workflow-'.length), id] : [id];
    for (const name of names) if (await deps.catalog.workflow(name)) return name;
    return undefined;
  }

  return {
    /**
     * Writes the run record (with its budget and mode) before the orchestrator hears of it. With an
     * idempotency key, the key's claim (holding the run record) is written first, so a retry of the
     * same request returns the same run and completes whatever a crash left undone.
     */
    async start(
      request: StartRunRequest,
      /** `runId`: a trigger's own id for the run (a schedule's is derived from its fire), instead of a new one. */
      options: { idempotencyKey?: string; runId?: string; rerunOf?: string } = {},
    ): Promise<StartedRun> {
      const key = options.idempotencyKey;
      // The hash is of what the client sent: a retry after a promotion is still the same request.
      const requestHash = requestHashOf(request);
      const setMode = request.mode ? undefined : await deps.modes?.modeOf(request.workflow);
      if (setMode) request = { ...request, mode: setMode };
      if (key === undefined) {
        const run = await newRun(request, options.runId, options.rerunOf);
        await deps.store.createRun(run);
        await startExecution(run.runId);
        return { run, replayed: false };
      }
      const now = deps.clock.now();
      let held = await deps.claims.get(key, now);
      let fresh = false;
      if (!held) {
        const run = await newRun(request, options.runId, options.rerunOf);
        const expiresAt = new Date(now.getTime() + IDEMPOTENCY_KEY_TTL_HOURS * 3_600_000).toISOString();
        held = await deps.claims.claim(
          { key, requestHash, run, claimedAt: now.toISOString(), expiresAt },
          now,
        );
        fresh = held.run.runId === run.runId;
      }
      if (held.requestHash !== requestHash) {
        throw new IdempotencyKeyReusedError(
          `this Idempotency-Key already started run ${held.run.runId} with a different request; send a new key for a new run`,
        );
      }
      return { run: await carryOut(held, fresh), replayed: !fresh };
    },

    list(query: { status?: RunStatus; limit?: number }): Promise<Run[]> {
      return deps.store.listRuns(query);
    },

    /**
     * Every attempt at an action in the run, allowed or not: what `aios audit` shows. Given a
     * workflow instead (its name, or `workflow-<name>` as its entries are kept), its mode changes:
     * each promotion and demotion, with who and why.
     */
    async audit(id: string): Promise<AuditEntry[]> {
      if (await deps.store.getRun(id)) return deps.store.listAudit(id);
      const workflow = await workflowAuditedAs(id);
      if (!workflow) {
        throw new NotFoundError(
          `run ${id} does not exist, and no workflow is named ${id.replace(/^workflow-/, '')}`,
        );
      }
      return deps.store.listAudit(modeAuditId(workflow));
    },

    /** The orchestrator's record of every transition of the run, each retry's execution after the first: what `aios history` shows. */
    async history(runId: string): Promise<ExecutionEvent[]> {
      const run = await deps.store.getRun(runId);
      if (!run) throw new NotFoundError(`run ${runId} does not exist`);
      const names = executionNamesOf(run);
      const histories = await Promise.all(names.map((name) => deps.orchestrator.history(name)));
      return histories.flat();
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
