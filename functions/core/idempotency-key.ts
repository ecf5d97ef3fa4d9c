import { createHash } from 'node:crypto';

/**
 * The key every effect of one plan step carries, derived only from the run and the step so
 * that a retried Lambda, a redelivered message or a resumed execution computes the same key.
 */
export function idempotencyKeyFor(runId: string, stepIndex: number, stepId: string): string {
  const digest = createHash('sha256').update(`${runId}\u0000${stepIndex}\u0000${stepId}`).digest('hex');
  return `aios-${digest.slice(0, 40)}`;
}
