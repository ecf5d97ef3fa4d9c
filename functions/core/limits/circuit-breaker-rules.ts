import * as z from 'zod';
import { lazySchema } from '../lazy-schema.ts';
import type { BreakerPolicy, BreakerState, BreakerStatus } from '../ports.ts';

/**
 * The circuit breaker's transitions, as pure functions of the stored record and `now` (epoch ms):
 *
 *   closed    --failureThreshold failures within the last windowSeconds (sliding)--> open
 *   open      --allow() once openSeconds have passed: the one caller that claims it--> half-open (the probe)
 *   half-open --success--> closed (failures cleared)      half-open --failure--> open (for openSeconds again)
 *
 * A probe that never reports (its caller crashed) would hold the breaker half-open for ever, so the
 * claim is a lease: after openSeconds without an answer, the next allow() claims a new probe.
 * A success while closed writes nothing: the breaker counts failures in a window, not in a row, and
 * the hot path of a healthy connector stays free of writes. A late answer while open (a call let
 * through before the breaker opened) changes nothing either.
 */

/** What a breaker stores per key. Every time is epoch ms. */
export const BreakerRecordSchema = lazySchema(() =>
  z.object({
    state: z.enum(['closed', 'open', 'half-open']),
    /** The most recent failures, oldest first; at most failureThreshold are kept. */
    failureTimes: z.array(z.number()),
    /** The window of the last policy seen, so that status(), which gets no policy, can count. */
    windowSeconds: z.number().positive().optional(),
    openedAt: z.number().optional(),
    /** Open: when the probe may go. Half-open: when the probe's lease runs out. */
    retryAt: z.number().optional(),
    /** Half-open: when the probe was handed out. */
    probeAt: z.number().optional(),
  }),
);
export type BreakerRecord = z.infer<typeof BreakerRecordSchema>;

export const CLOSED_BREAKER: BreakerRecord = { state: 'closed', failureTimes: [] };

export interface AllowDecision {
  allowed: boolean;
  state: BreakerState;
  retryAfterMs: number;
  /** Present when the decision must be stored (claiming the probe); the caller may go only if it wins that write. */
  next?: BreakerRecord;
}

/** Throws RangeError for a policy that makes no sense (a configuration bug). */
export function assertBreakerPolicy(policy: BreakerPolicy): void {
  if (!(Number.isInteger(policy.failureThreshold) && policy.failureThreshold >= 1)) {
    throw new RangeError(
      `failureThreshold must be a whole number of at least 1, got ${policy.failureThreshold}`,
    );
  }
  if (!(Number.isFinite(policy.windowSeconds) && policy.windowSeconds > 0)) {
    throw new RangeError(`windowSeconds must be a positive number, got ${policy.windowSeconds}`);
  }
  if (!(Number.isFinite(policy.openSeconds) && policy.openSeconds >= 0)) {
    throw new RangeError(`openSeconds must be zero or more, got ${policy.openSeconds}`);
  }
}

/**
 * Failures inside the window that ends at `nowMs`, i.e. later than `nowMs - windowSeconds`. Failures
 * stamped after `nowMs` (by a gateway whose clock is a little ahead) still count.
 */
function failuresInWindow(failureTimes: readonly number[], windowSeconds: number, nowMs: number): number[] {
  const from = nowMs - windowSeconds * 1000;
  return failureTimes.filter((at) => at > from);
}

export function decideAllow(
  record: BreakerRecord | undefined,
  policy: BreakerPolicy,
  nowMs: number,
): AllowDecision {
  assertBreakerPolicy(policy);
  const current = record ?? CLOSED_BREAKER;
  if (current.state === 'closed') return { allowed: true, state: 'closed', retryAfterMs: 0 };
  const retryAt = current.retryAt ?? nowMs;
  if (nowMs < retryAt) return { allowed: false, state: current.state, retryAfterMs: retryAt - nowMs };
  const openMs = policy.openSeconds * 1000;
  return {
    allowed: true,
    state: 'half-open',
    retryAfterMs: 0,
    next: { ...current, state: 'half-open', probeAt: nowMs, retryAt: nowMs + openMs },
  };
}

/** The record after a success, or undefined when nothing changes (closed, or open). */
export function onSuccess(record: BreakerRecord | undefined): BreakerRecord | undefined {
  if (record?.state !== 'half-open') return undefined;
  return { state: 'closed', failureTimes: [], windowSeconds: record.windowSeconds };
}

/** The record after a failure, or undefined when nothing changes (already open). */
export function onFailure(
  record: BreakerRecord | undefined,
  policy: BreakerPolicy,
  nowMs: number,
): BreakerRecord | undefined {
  assertBreakerPolicy(policy);
  const current = record ?? CLOSED_BREAKER;
  const openMs = policy.openSeconds * 1000;
  const { windowSeconds, failureThreshold } = policy;
  if (current.state === 'open') return undefined;
  if (current.state === 'half-open') {
    return {
      state: 'open',
      failureTimes: [...current.failureTimes, nowMs].slice(-failureThreshold),
      windowSeconds,
      openedAt: nowMs,
      retryAt: nowMs + openMs,
    };
  }
  const failureTimes = [...failuresInWindow(current.failureTimes, windowSeconds, nowMs), nowMs]
    .sort((a, b) => a - b)
    .slice(-failureThreshold);
  if (failureTimes.length < failureThreshold) return { state: 'closed', failureTimes, windowSeconds };
  return { state: 'open', failureTimes, windowSeconds, openedAt: nowMs, retryAt: nowMs + openMs };
}

/** What an operator sees: the stored state, and for a closed breaker the failures still in its window. */
export function describeBreaker(
  key: string,
  record: BreakerRecord | undefined,
  nowMs: number,
): BreakerStatus {
  const current = record ?? CLOSED_BREAKER;
  const failures =
    current.state === 'closed'
      ? current.windowSeconds === undefined
        ? 0
        : failuresInWindow(current.failureTimes, current.windowSeconds, nowMs).length
      : current.failureTimes.length;
  const status: BreakerStatus = { key, state: current.state, failures };
  if (current.state !== 'closed' && current.openedAt !== undefined) {
    status.openedAt = new Date(current.openedAt).toISOString();
  }
  if (current.state !== 'closed' && current.retryAt !== undefined) {
    status.retryAt = new Date(current.retryAt).toISOString();
  }
  return status;
}
