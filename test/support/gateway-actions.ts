import { type GrantSigner, mintGrant } from '../../functions/core/capability.ts';
import { idempotencyKeyFor } from '../../functions/core/idempotency-key.ts';
import type { StateStore } from '../../functions/core/ports.ts';
import type { Action } from '../../functions/core/schemas.ts';

export interface RecordedAction {
  taskToken: string;
  idempotencyKey: string;
  /** The SQS message body the orchestrator would send for it. */
  body: string;
}

/**
 * What the orchestrator does before the gateway sees an action: `count` allowed intents of one
 * run, recorded, each with a grant for its step and its queue message (task token `t-<i>`).
 */
export async function recordActions(
  store: StateStore,
  signer: GrantSigner,
  options: { runId: string; count: number; action: (i: number) => Action },
): Promise<RecordedAction[]> {
  const now = new Date();
  const recorded: RecordedAction[] = [];
  for (let i = 0; i < options.count; i += 1) {
    const idempotencyKey = idempotencyKeyFor(options.runId, i, `call-${i}`);
    const action = options.action(i);
    await store.recordIntent({
      runId: options.runId,
      stepIndex: i,
      stepId: `call-${i}`,
      title: `Call ${i}`,
      action,
      idempotencyKey,
      status: 'RECORDED',
      decision: 'allow',
      reason: 'allowed',
      attempts: 0,
      recordedAt: now.toISOString(),
    });
    const grant = await mintGrant(
      signer,
      { agent: 'executor', workflow: 'w', runId: options.runId, stepIndex: i, actions: [action.type] },
      now,
    );
    const taskToken = `t-${i}`;
    recorded.push({
      taskToken,
      idempotencyKey,
      body: JSON.stringify({ taskToken, grant, runId: options.runId, stepIndex: i, idempotencyKey, action }),
    });
  }
  return recorded;
}
