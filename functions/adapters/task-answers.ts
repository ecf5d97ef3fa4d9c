import { ANSWERED, type TaskAnswer } from '../core/ports.ts';

/** A token that is already closed or expired: the decision was made elsewhere, not a failure. */
export function isClosedTaskToken(error: unknown): boolean {
  const name = (error as Error | undefined)?.name;
  return name === 'TaskTimedOut' || name === 'InvalidToken' || name === 'TaskDoesNotExist';
}

/**
 * Sends one task answer and says whether it was delivered. Step Functions and the local
 * interpreter name a closed token alike, so both callbacks adapters decide here.
 */
export async function answerTask(send: () => Promise<unknown>): Promise<TaskAnswer> {
  try {
    await send();
    return ANSWERED;
  } catch (error) {
    if (!isClosedTaskToken(error)) throw error;
    return { outcome: 'closed', error: (error as Error).name, reason: (error as Error).message };
  }
}
