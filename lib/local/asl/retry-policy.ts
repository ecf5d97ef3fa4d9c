import type { Catcher, Retrier } from './types.ts';

/** Whether an ErrorEquals list matches an error name, with the wildcard rules of the real service. */
export function errorMatches(errorEquals: readonly string[], error: string): boolean {
  if (error === 'States.Runtime') return false;
  return errorEquals.some((name) => {
    if (name === error || name === 'States.ALL') return true;
    return name === 'States.TaskFailed' && error !== 'States.Timeout';
  });
}

export interface RetryDecision {
  retrierIndex: number;
  delayMs: number;
}

/** The retry to make for an error, or undefined when the matching retrier is exhausted (or none matches). */
export function decideRetry(
  retriers: readonly Retrier[] | undefined,
  retryCounts: readonly number[],
  error: string,
  random: () => number = Math.random,
): RetryDecision | undefined {
  const retrierIndex = (retriers ?? []).findIndex((retrier) => errorMatches(retrier.ErrorEquals, error));
  const retrier = retriers?.[retrierIndex];
  if (!retrier) return undefined;
  const attempts = retryCounts[retrierIndex] ?? 0;
  if (attempts >= (retrier.MaxAttempts ?? 3)) return undefined;
  let delaySeconds = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** attempts;
  if (retrier.MaxDelaySeconds !== undefined) delaySeconds = Math.min(delaySeconds, retrier.MaxDelaySeconds);
  if (retrier.JitterStrategy === 'FULL') delaySeconds *= random();
  return { retrierIndex, delayMs: delaySeconds * 1000 };
}

export function findCatcher(catchers: readonly Catcher[] | undefined, error: string): Catcher | undefined {
  return catchers?.find((catcher) => errorMatches(catcher.ErrorEquals, error));
}
