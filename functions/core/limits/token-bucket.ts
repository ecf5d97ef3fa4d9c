import * as z from 'zod';
import { lazySchema } from '../lazy-schema.ts';
import type { RateLimit } from '../ports.ts';

/**
 * The token bucket, as pure functions of the last stored state and `now` (epoch ms). No I/O: the
 * in-memory limiter and the DynamoDB one both decide with these, so they share one semantics.
 */

/** What a limiter stores per key. `tokens` is fractional; `refilledAt` is epoch ms. */
export const BucketStateSchema = lazySchema(() =>
  z.object({
    tokens: z.number().min(0),
    refilledAt: z.number(),
  }),
);
export type BucketState = z.infer<typeof BucketStateSchema>;

export interface BucketDecision {
  granted: boolean;
  /** 0 when granted; otherwise the wait, rounded up to a whole ms, until one whole token is there. */
  retryAfterMs: number;
  /** The state to store. On a refusal it is only the refill, which needs no write. */
  next: BucketState;
}

// Float sums such as 0.1 + 0.2 land a hair above the exact value; this keeps ceil() from adding a ms.
const EPSILON = 1e-9;

/** Throws RangeError for a limit that could never grant (a configuration bug, not a runtime state). */
export function assertRateLimit(limit: RateLimit): void {
  if (!(Number.isFinite(limit.ratePerSecond) && limit.ratePerSecond > 0)) {
    throw new RangeError(`ratePerSecond must be a positive number, got ${limit.ratePerSecond}`);
  }
  if (!(Number.isFinite(limit.burst) && limit.burst >= 1)) {
    throw new RangeError(`burst must be at least 1, got ${limit.burst}`);
  }
}

/**
 * The bucket at `nowMs`: tokens added at `ratePerSecond` since the last refill, capped at `burst`.
 * An absent bucket is full. A clock behind the stored one adds nothing and never moves time back,
 * so callers whose clocks disagree a little cannot mint tokens.
 */
export function refill(state: BucketState | undefined, limit: RateLimit, nowMs: number): BucketState {
  if (!state) return { tokens: limit.burst, refilledAt: nowMs };
  const elapsedMs = Math.max(0, nowMs - state.refilledAt);
  return {
    tokens: Math.min(limit.burst, state.tokens + (elapsedMs * limit.ratePerSecond) / 1000),
    refilledAt: Math.max(state.refilledAt, nowMs),
  };
}

/** Takes one token at `nowMs` if a whole one is there; otherwise says how long until there will be. */
export function takeToken(state: BucketState | undefined, limit: RateLimit, nowMs: number): BucketDecision {
  assertRateLimit(limit);
  const current = refill(state, limit, nowMs);
  if (current.tokens + EPSILON >= 1) {
    return { granted: true, retryAfterMs: 0, next: { ...current, tokens: Math.max(0, current.tokens - 1) } };
  }
  const missing = 1 - current.tokens;
  // Measured from the refill time, which is `nowMs` unless this caller's clock is behind the stored one.
  const waitMs = (missing * 1000) / limit.ratePerSecond + (current.refilledAt - nowMs);
  return { granted: false, retryAfterMs: Math.max(1, Math.ceil(waitMs - EPSILON)), next: current };
}

/** After this long untouched a bucket is full again, so deleting it (DynamoDB TTL) changes nothing. */
export function msUntilFull(state: BucketState, limit: RateLimit): number {
  return Math.ceil(((limit.burst - Math.min(state.tokens, limit.burst)) * 1000) / limit.ratePerSecond);
}
