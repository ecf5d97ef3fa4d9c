import type { BreakerPolicy, CircuitBreaker, RateLimit, RateLimiter } from '../ports.ts';
import {
  type BreakerRecord,
  decideAllow,
  describeBreaker,
  onFailure,
  onSuccess,
} from './circuit-breaker-rules.ts';
import { type BucketState, takeToken } from './token-bucket.ts';

/**
 * In-process doubles of the rate limiter and circuit breaker, for unit tests of the modules that use
 * them. They decide with the same pure rules as the DynamoDB adapters; each decision runs without an
 * await in between, so concurrent callers in one process are serialised as a conditional write would.
 */

export function createInMemoryRateLimiter(): RateLimiter & { peek(key: string): BucketState | undefined } {
  const buckets = new Map<string, BucketState>();
  return {
    async tryAcquire(key: string, limit: RateLimit, now: Date) {
      const decision = takeToken(buckets.get(key), limit, now.getTime());
      if (decision.granted) buckets.set(key, decision.next);
      return { granted: decision.granted, retryAfterMs: decision.retryAfterMs };
    },
    peek(key) {
      const bucket = buckets.get(key);
      return bucket && { ...bucket };
    },
  };
}

export function createInMemoryCircuitBreaker(): CircuitBreaker {
  const records = new Map<string, BreakerRecord>();
  return {
    async allow(key: string, policy: BreakerPolicy, now: Date) {
      const { next, ...decision } = decideAllow(records.get(key), policy, now.getTime());
      if (next) records.set(key, next);
      return decision;
    },
    async recordSuccess(key, _now) {
      const next = onSuccess(records.get(key));
      if (next) records.set(key, next);
    },
    async recordFailure(key, policy, now) {
      const next = onFailure(records.get(key), policy, now.getTime());
      if (next) records.set(key, next);
    },
    async status(key, now) {
      return describeBreaker(key, records.get(key), now.getTime());
    },
  };
}
