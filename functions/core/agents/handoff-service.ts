import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import type { OperatorAlerts } from '../operator-alerts.ts';
import { workflowOf } from '../planner.ts';
import type { Clock, HandoffStore, OrchestratorCallbacks, StateStore, WorkflowCatalog } from '../ports.ts';
import { parseOrThrow } from '../validation.ts';
import { CompleteHandoffRequestSchema, type Handoff, handoffIdFor } from './handoff.ts';
import type { ModelStepOutcome } from './model-step.ts';
import { parseOutput } from './model-step.ts';

export interface HandoffServiceDeps {
  handoffs: HandoffStore;
  store: StateStore;
  catalog: WorkflowCatalog;
  clock: Clock;
  /** Only `complete` and `answerCompleted` answer the run; opening an item needs none. */
  callbacks?: OrchestratorCallbacks;
  /** Tells the operator a step waits for them (once per step, whatever the retries); none configured, none sent. */
  alerts?: Pick<OperatorAlerts, 'handoff'>;
  /**
   * An alert that could not go out. It does not fail the open: the item is in the inbox either way,
   * and failing here would fail the run for a Slack or SES outage.
   */
  onAlertError?: (error: unknown, context: { runId: string; stepIndex: number }) => void;
}

/** What the operator is told: which step waits, why the model could not do it, and how to write it. */
export function handoffAccount(handoff: Handoff): string {
  return [
    `Step ${handoff.stepIndex + 1} "${handoff.title}" (${handoff.kind}) waits for you: the model could not do it (${handoff.error}).`,
    `Write its output with: aios handoff complete ${handoff.handoffId} --text "…" (or POST /handoffs/${handoff.handoffId}/complete).`,
  ].join('\n');
}

/**
 * The operator's side of a model that failed: the run opens an inbox item on its task token and
 * waits; the operator writes the output; it is checked against the step's declared output,
 * recorded on the step's intent (where later steps read it) and the run goes on. Like an
 * approval, the item is durable, the first completion wins, and a completion whose run was not
 * told (a crash between the two) is told again by `answerCompleted`.
 */
export function createHandoffService(deps: HandoffServiceDeps) {
  const now = () => deps.clock.now().toISOString();

  async function load(handoffId: string): Promise<Handoff> {
    const handoff = await deps.handoffs.get(handoffId);
    if (!handoff) throw new NotFoundError(`handoff ${handoffId} does not exist`);
    return handoff;
  }

  /** Writes the output on the step's intent (once) and tells the run; safe to repeat. */
  async function deliver(handoff: Handoff): Promise<void> {
    const output = handoff.completion?.output;
    if (!output) return;
    const intent = await deps.store.getIntent(handoff.runId, handoff.stepIndex);
    if (intent?.status === 'AWAITING_HANDOFF') {
      try {
        await deps.store.updateIntent(handoff.runId, handoff.stepIndex, ['AWAITING_HANDOFF'], {
          status: 'SUCCEEDED',
          result: { ok: true, output, durationMs: 0, attempts: intent.attempts },
          finishedAt: handoff.completion?.at ?? now(),
        });
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error; // written by a concurrent delivery
      }
    }
    const token = await deps.handoffs.taskToken(handoff.handoffId);
    if (token && deps.callbacks) {
      const answer: ModelStepOutcome = {
        runId: handoff.runId,
        stepIndex: handoff.stepIndex,
        stepId: handoff.stepId,
        ok: true,
        note: `written by ${handoff.completion?.by ?? 'the operator'} (handoff)`,
        status: 'done',
      };
      // A closed token (the run moved on) is an answer too: the callbacks report it, not throw.
      await deps.callbacks.taskSucceeded(token, answer);
    }
    if (deps.callbacks) await deps.handoffs.markAnswered(handoff.handoffId, now());
  }

  return {
    /**
     * The run reaches its handoff wait: one inbox item for the step, carrying what the model step
     * gathered, and the operator told (once per step: a retried open finds the alert's mark). A
     * repeated open (a retried task) keeps the item and takes the new token; an item completed
     * already is answered at once.
     */
    async open(runId: string, stepIndex: number, taskToken: string): Promise<Handoff> {
      const run = await deps.store.getRun(runId);
      if (!run) throw new NotFoundError(`run ${runId} does not exist`);
      const intent = await deps.store.getIntent(runId, stepIndex);
      if (!intent?.handoff) throw new NotFoundError(`step ${stepIndex} of run ${runId} was not handed off`);
      const handoff = await deps.handoffs.create(
        {
          handoffId: handoffIdFor(runId, stepIndex),
          runId,
          stepIndex,
          stepId: intent.stepId,
          title: intent.title,
          workflow: run.workflow,
          kind: intent.action.type,
          status: 'PENDING',
          createdAt: now(),
          input: run.input,
          outputs: intent.handoff.outputs,
          memories: intent.handoff.memories,
          prompt: intent.handoff.prompt,
          error: intent.handoff.error,
        },
        taskToken,
      );
      if (handoff.status === 'COMPLETED') await deliver(handoff);
      else if (deps.alerts) {
        try {
          await deps.alerts.handoff(run, stepIndex, handoffAccount(handoff));
        } catch (error) {
          deps.onAlertError?.(error, { runId, stepIndex });
        }
      }
      return handoff;
    },

    list: () => deps.handoffs.listPending(),
    get: load,

    /**
     * The operator's output: a draft's text, or an extraction's fields as JSON text, checked
     * against the step's declared output before anything is written. 400-class errors name the field.
     */
    async complete(handoffId: string, input: unknown): Promise<Handoff> {
      const request = parseOrThrow(CompleteHandoffRequestSchema, input, 'handoff completion');
      const handoff = await load(handoffId);
      if (handoff.status === 'WITHDRAWN') {
        throw new ConflictError(`handoff ${handoffId} was withdrawn: run ${handoff.runId} was cancelled`);
      }
      if (handoff.status !== 'PENDING') {
        throw new ConflictError(`handoff ${handoffId} was completed already by ${handoff.completion?.by}`);
      }
      const run = await deps.store.getRun(handoff.runId);
      if (!run) throw new NotFoundError(`run ${handoff.runId} does not exist`);
      const step = (await deps.store.getPlan(handoff.runId))?.steps[handoff.stepIndex];
      await workflowOf(deps.catalog, run);
      const kind = handoff.kind === 'model.extract' ? 'extract' : 'draft';
      let output: Record<string, unknown>;
      try {
        output = parseOutput(kind, request.text, step?.model?.output ?? DRAFT_SCHEMA, handoff.stepId);
      } catch (error) {
        throw new ValidationError(`text: ${(error as Error).message}`, [
          { path: 'text', message: (error as Error).message },
        ]);
      }
      const completed = await deps.handoffs.complete(handoffId, {
        by: request.by ?? 'operator',
        at: now(),
        output,
      });
      await deps.store.appendJournal({
        runId: handoff.runId,
        at: now(),
        kind: 'handoff',
        message: `step ${handoff.stepIndex + 1} ${handoff.stepId} completed by ${completed.completion?.by}`,
        data: { stepIndex: handoff.stepIndex, handoffId },
      });
      await deliver(completed);
      return completed;
    },

    /** Completions whose run was never told (a crash fell between): tells them now. Recovery calls it. */
    async answerCompleted(): Promise<number> {
      const waiting = await deps.handoffs.listUnanswered();
      for (const handoff of waiting) await deliver(handoff);
      return waiting.length;
    },
  };
}

export type HandoffService = ReturnType<typeof createHandoffService>;

const DRAFT_SCHEMA = {
  type: 'object' as const,
  properties: { text: { type: 'string' as const, minLength: 1 } },
  required: ['text'],
};

export { handoffIdFor };
