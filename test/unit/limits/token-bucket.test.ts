import { describe, expect, it } from 'vitest';
import { createInMemoryRateLimiter } from '../../../functions/core/limits/in-memory.ts';
import { msUntilFull, refill, takeToken } from '../../../functions/core/limits/token-bucket.ts';

const T0 = Date.parse('2026-11-25T10:00:00.000Z');
const limit = { ratePerSecond: 20, burst: 5 };

describe('token bucket: refill', () => {
  it('starts full: an absent bucket holds `burst` tokens', () => {
    expect(refill(undefined, limit, T0)).toEqual({ tokens: 5, refilledAt: T0 });
  });

  it('adds ratePerSecond tokens per second, fractionally', () => {
    expect(refill({ tokens: 0, refilledAt: T0 }, limit, T0 + 25)).toEqual({
      tokens: 0.5,
      refilledAt: T0 + 25,
    });
    expect(refill({ tokens: 1.25, refilledAt: T0 }, limit, T0 + 100).tokens).toBeCloseTo(3.25, 12);
  });

  it('caps at burst however long the bucket was left alone, and at a lowered burst at once', () => {
    expect(refill({ tokens: 0, refilledAt: T0 }, limit, T0 + 3_600_000).tokens).toBe(5);
    expect(refill({ tokens: 5, refilledAt: T0 }, { ratePerSecond: 20, burst: 2 }, T0).tokens).toBe(2);
  });

  it('a clock behind the stored refill adds nothing and does not move the refill time back', () => {
    expect(refill({ tokens: 0.5, refilledAt: T0 }, limit, T0 - 500)).toEqual({ tokens: 0.5, refilledAt: T0 });
  });
});

describe('token bucket: take', () => {
  it('grants burst calls at once, then refuses with the exact wait for one whole token', () => {
    let state = undefined as ReturnType<typeof takeToken>['next'] | undefined;
    const granted: boolean[] = [];
    for (let i = 0; i < 6; i++) {
      const decision = takeToken(state, limit, T0);
      granted.push(decision.granted);
      state = decision.next;
      if (i === 5) expect(decision.retryAfterMs).toBe(50); // 1 token / 20 per s
    }
    expect(granted).toEqual([true, true, true, true, true, false]);
    expect(state).toEqual({ tokens: 0, refilledAt: T0 });
  });

  it('retryAfterMs counts the fraction already there and rounds up to a whole ms', () => {
    expect(takeToken({ tokens: 0.5, refilledAt: T0 }, limit, T0).retryAfterMs).toBe(25);
    expect(takeToken({ tokens: 0, refilledAt: T0 }, { ratePerSecond: 3, burst: 1 }, T0).retryAfterMs).toBe(
      334,
    );
    // 0.1 + 0.2 is 0.30000000000000004 in floats; the wait is still exactly 35 ms, not 36.
    expect(takeToken({ tokens: 0.1 + 0.2, refilledAt: T0 }, limit, T0).retryAfterMs).toBe(35);
  });

  it('after waiting retryAfterMs the next call is granted, one ms earlier it is not', () => {
    const empty = { tokens: 0, refilledAt: T0 };
    const { retryAfterMs } = takeToken(empty, limit, T0);
    expect(takeToken(empty, limit, T0 + retryAfterMs - 1).granted).toBe(false);
    const later = takeToken(empty, limit, T0 + retryAfterMs);
    expect(later).toEqual({ granted: true, retryAfterMs: 0, next: { tokens: 0, refilledAt: T0 + 50 } });
  });

  it('a caller whose clock is behind is told to wait until the bucket time plus the refill', () => {
    expect(takeToken({ tokens: 0, refilledAt: T0 }, limit, T0 - 30).retryAfterMs).toBe(80);
  });

  it('grants no more than burst + rate × elapsed over a long run of calls every ms', () => {
    let state: ReturnType<typeof takeToken>['next'] | undefined;
    let grants = 0;
    for (let t = T0; t <= T0 + 10_000; t++) {
      const decision = takeToken(state, limit, t);
      if (decision.granted) grants++;
      state = decision.next;
    }
    expect(grants).toBe(5 + 20 * 10);
  });

  it('rejects a limit that could never grant', () => {
    expect(() => takeToken(undefined, { ratePerSecond: 0, burst: 5 }, T0)).toThrow(RangeError);
    expect(() => takeToken(undefined, { ratePerSecond: 1, burst: 0.5 }, T0)).toThrow(RangeError);
  });

  it('says when an untouched bucket is full again', () => {
    expect(msUntilFull({ tokens: 1, refilledAt: T0 }, limit)).toBe(200);
  });
});

describe('in-memory rate limiter', () => {
  it('keeps one bucket per key with the same semantics', async () => {
    const limiter = createInMemoryRateLimiter();
    const now = new Date(T0);
    const tight = { ratePerSecond: 10, burst: 2 };
    expect(await limiter.tryAcquire('a', tight, now)).toEqual({ granted: true, retryAfterMs: 0 });
    expect(await limiter.tryAcquire('a', tight, now)).toEqual({ granted: true, retryAfterMs: 0 });
    expect(await limiter.tryAcquire('a', tight, now)).toEqual({ granted: false, retryAfterMs: 100 });
    expect(await limiter.tryAcquire('b', tight, now)).toEqual({ granted: true, retryAfterMs: 0 });
    expect((await limiter.tryAcquire('a', tight, new Date(T0 + 100))).granted).toBe(true);
    expect(limiter.peek('a')).toEqual({ tokens: 0, refilledAt: T0 + 100 });
  });
});
