import type { DeadLetter } from './ports.ts';

/**
 * What an operator may see of a dead-lettered action message. The task token and the grant
 * are credentials, so they are dropped; a body that is not an action message is shown cut short.
 */
export function describeDeadLetter(
  messageId: string,
  body: string,
  receiveCount: number,
  sentAt: Date,
): DeadLetter {
  const base = { messageId, receiveCount, sentAt: sentAt.toISOString() };
  try {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    const { taskToken: _token, grant: _grant, ...rest } = parsed;
    const action = rest.action as { type?: unknown } | undefined;
    return {
      ...base,
      ...(typeof rest.runId === 'string' ? { runId: rest.runId } : {}),
      ...(typeof rest.stepIndex === 'number' ? { stepIndex: rest.stepIndex } : {}),
      ...(typeof action?.type === 'string' ? { actionType: action.type } : {}),
      summary: JSON.stringify(rest).slice(0, 500),
    };
  } catch {
    return { ...base, summary: `not JSON: ${body.slice(0, 200)}` };
  }
}
