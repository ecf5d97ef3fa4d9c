import * as z from 'zod';
import type { OrchestratorCallbacks, StateStore } from './ports.ts';
import type { Intent } from './schemas.ts';

/** A task of a run's execution that waits for its task token, as the orchestrator recorded it. */
export interface WaitingTask {
  stateName: string;
  /** The token the execution waits on now (after a retry or a restart, not the first one sent). */
  token: string;
  /** The task's parameters as the orchestrator resolved them: for an action, the queue message. */
  parameters: unknown;
}

/** Where the orchestrator says which task a run waits on; undefined when it waits on none. */
export interface TaskWaits {
  waitingTask(runId: string): Promise<WaitingTask | undefined>;
}

export interface StrandedActionsDeps {
  waits: TaskWaits;
  callbacks: OrchestratorCallbacks;
  store: Pick<StateStore, 'getIntent'>;
}

// The action message of run.asl.json ("Execute action", "Execute compensation"); on AWS the
// history gives MessageBody as the object the definition built, the local interpreter likewise,
// but a string body is what SQS would carry, so both are read.
const ActionWaitSchema = z.object({
  MessageBody: z.preprocess(
    (body) => (typeof body === 'string' ? safeJson(body) : body),
    z.object({
      runId: z.string().min(1),
      stepIndex: z.number().int().nonnegative(),
      idempotencyKey: z.string().min(1),
    }),
  ),
});

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Which intent a waiting task's message carries; undefined for a task that is no action. */
export function actionOfWaitingTask(task: WaitingTask) {
  const parsed = ActionWaitSchema.safeParse(task.parameters);
  return parsed.success ? parsed.data.MessageBody : undefined;
}

type Answer = { kind: 'success'; output: unknown } | { kind: 'failure'; error: string; cause: string };

/**
 * What the gateway answered (or would have) for an intent that has ended: the recorded result,
 * or the error the orchestrator's Catch expects. Undefined while the intent may still run.
 */
export function answerOfFinishedIntent(intent: Intent): Answer | undefined {
  switch (intent.status) {
    case 'SUCCEEDED':
    case 'COMPENSATED':
    case 'SHADOWED':
      return intent.result ? { kind: 'success', output: intent.result } : undefined;
    case 'FAILED':
      return {
        kind: 'failure',
        error: 'PermanentConnectorError',
        cause: intent.error ?? `step ${intent.stepId} failed`,
      };
    case 'OUTCOME_UNKNOWN':
      return {
        kind: 'failure',
        error: 'OutcomeUnknownError',
        cause: intent.error ?? `step ${intent.stepId} may or may not have taken effect`,
      };
    default:
      return undefined;
  }
}

export type StrandedActionOutcome = 'answered' | 'closed' | 'not-stranded';

/**
 * A run that waits on an action whose intent has already ended (its effect made or refused and
 * recorded) was never told: the answer was lost between the gateway and the orchestrator. It is
 * told now, from the intent's record, on the token it waits on now; the action is not run again.
 * `finishedBefore` keeps the sweep off an intent whose gateway attempt may still be answering.
 * Answering twice is harmless: the second answer finds the token closed.
 */
export async function answerStrandedAction(
  deps: StrandedActionsDeps,
  runId: string,
  finishedBefore: Date,
): Promise<StrandedActionOutcome> {
  const task = await deps.waits.waitingTask(runId);
  if (!task) return 'not-stranded';
  const action = actionOfWaitingTask(task);
  if (!action || action.runId !== runId) return 'not-stranded';
  const intent = await deps.store.getIntent(action.runId, action.stepIndex);
  // A message whose key differs from the intent's is refused by the gateway; that answer is its own.
  if (!intent || intent.idempotencyKey !== action.idempotencyKey) return 'not-stranded';
  const answer = answerOfFinishedIntent(intent);
  if (!answer) return 'not-stranded';
  if (!intent.finishedAt || intent.finishedAt >= finishedBefore.toISOString()) return 'not-stranded';
  // A closed token means another answer landed first, which is an answer too.
  const told =
    answer.kind === 'success'
      ? await deps.callbacks.taskSucceeded(task.token, answer.output)
      : await deps.callbacks.taskFailed(task.token, answer.error, answer.cause);
  return told.outcome;
}
