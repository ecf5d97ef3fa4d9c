import { describe, expect, it } from 'vitest';
import {
  type BreakerRecord,
  decideAllow,
  describeBreaker,
  onFailure,
  onSuccess,
} from '../../../functions/core/limits/circuit-breaker-rules.ts';
import { createInMemoryCircuitBreaker } from '../../../functions/core/limits/in-memory.ts';
import type { BreakerPolicy } from '../../../functions/core/ports.ts';

const T0 = Date.parse('2026-11-25T10:00:00.000Z');
const policy: BreakerPolicy = { failureThreshold: 3, windowSeconds: 10, openSeconds: 30 };

/** Applies failures at the given offsets (ms from T0). */
function failAt(offsets: number[], start?: BreakerRecord): BreakerRecord | undefined {
  return offsets.reduce<BreakerRecord | undefined>(
    (record, offset) => onFailure(record, policy, T0 + offset) ?? record,
    start,
  );
}

describe('circuit breaker rules: closed → open', () => {
  it('a closed (or absent) breaker allows without writing anything', () => {
    expect(decideAllow(undefined, policy, T0)).toEqual({ allowed: true, state: 'closed', retryAfterMs: 0 });
    expect(decideAllow(failAt([0, 1]), policy, T0 + 2)).toEqual({
      allowed: true,
      state: 'closed',
      retryAfterMs: 0,
    });
  });

  it('opens on the failureThreshold-th failure inside the window, for openSeconds', () => {
    const twice = failAt([0, 1000]);
    expect(twice?.state).toBe('closed');
    const opened = onFailure(twice, policy, T0 + 2000);
    expect(opened).toMatchObject({ state: 'open', openedAt: T0 + 2000, retryAt: T0 + 32_000 });
    expect(decideAllow(opened, policy, T0 + 2000)).toEqual({
      allowed: false,
      state: 'open',
      retryAfterMs: 30_000,
    });
    expect(decideAllow(opened, policy, T0 + 31_999)).toEqual({
      allowed: false,
      state: 'open',
      retryAfterMs: 1,
    });
  });

  it('failures that slid out of the window do not count', () => {
    // 0 and 1000 are older than 10 s when the third failure comes at 10 001.
    const record = failAt([0, 5000, 10_001]);
    expect(record?.state).toBe('closed');
    expect(record?.failureTimes).toEqual([T0 + 5000, T0 + 10_001]);
  });

  it('the window is sliding: old failures expire one by one', () => {
    // At 10 000 the failure at 0 is out of (0, 10 000], so only 5000 and 10 000 remain: still closed.
    expect(failAt([0, 5000, 10_000])?.state).toBe('closed');
    expect(failAt([0, 5000, 9_999])?.state).toBe('open');
    expect(failAt([0, 5000, 10_000, 14_999])?.state).toBe('open');
  });

  it('a success while closed changes nothing (failures are counted in a window, not in a row)', () => {
    expect(onSuccess(failAt([0, 1]))).toBeUndefined();
    expect(onSuccess(undefined)).toBeUndefined();
  });
});

describe('circuit breaker rules: open → half-open → closed | open', () => {
  const opened = failAt([0, 1, 2]) as BreakerRecord;
  const retryAt = T0 + 2 + 30_000;

  it('after openSeconds, allow() hands out the probe by moving to half-open', () => {
    const decision = decideAllow(opened, policy, retryAt);
    expect(decision).toMatchObject({ allowed: true, state: 'half-open', retryAfterMs: 0 });
    expect(decision.next).toMatchObject({ state: 'half-open', probeAt: retryAt, retryAt: retryAt + 30_000 });
  });

  it('while the probe is out, others are refused until its lease runs out, then a new probe may go', () => {
    const halfOpen = decideAllow(opened, policy, retryAt).next as BreakerRecord;
    expect(decideAllow(halfOpen, policy, retryAt + 1)).toEqual({
      allowed: false,
      state: 'half-open',
      retryAfterMs: 29_999,
    });
    const reclaimed = decideAllow(halfOpen, policy, retryAt + 30_000);
    expect(reclaimed).toMatchObject({
      allowed: true,
      state: 'half-open',
      next: { probeAt: retryAt + 30_000 },
    });
  });

  it('a probe success closes the breaker and clears the failures', () => {
    const halfOpen = decideAllow(opened, policy, retryAt).next;
    const closed = onSuccess(halfOpen);
    expect(closed).toEqual({ state: 'closed', failureTimes: [], windowSeconds: 10 });
    // It takes failureThreshold fresh failures to open it again.
    expect(failAt([40_000, 40_001], closed)?.state).toBe('closed');
    expect(failAt([40_000, 40_001, 40_002], closed)?.state).toBe('open');
  });

  it('a probe failure opens it again for another openSeconds', () => {
    const halfOpen = decideAllow(opened, policy, retryAt).next;
    const reopened = onFailure(halfOpen, policy, retryAt + 500);
    expect(reopened).toMatchObject({ state: 'open', openedAt: retryAt + 500, retryAt: retryAt + 30_500 });
    expect(decideAllow(reopened, policy, retryAt + 30_499).allowed).toBe(false);
    expect(decideAllow(reopened, policy, retryAt + 30_500).allowed).toBe(true);
  });

  it('late answers while open change nothing: a stale success does not close it, a failure does not extend it', () => {
    expect(onSuccess(opened)).toBeUndefined();
    expect(onFailure(opened, policy, T0 + 20_000)).toBeUndefined();
  });

  it('status shows the stored state, when it opened, when it lets the probe through, and the failures', () => {
    expect(describeBreaker('crm', undefined, T0)).toEqual({ key: 'crm', state: 'closed', failures: 0 });
    expect(describeBreaker('crm', failAt([0, 1]), T0 + 5000)).toEqual({
      key: 'crm',
      state: 'closed',
      failures: 2,
    });
    // The window slides for status too.
    expect(describeBreaker('crm', failAt([0, 6000]), T0 + 12_000).failures).toBe(1);
    expect(describeBreaker('crm', opened, T0 + 100)).toEqual({
      key: 'crm',
      state: 'open',
      failures: 3,
      openedAt: new Date(T0 + 2).toISOString(),
      retryAt: new Date(retryAt).toISOString(),
    });
  });

  it('rejects a policy that makes no sense', () => {
    expect(() => onFailure(undefined, { ...policy, failureThreshold: 0 }, T0)).toThrow(RangeError);
    expect(() => decideAllow(undefined, { ...policy, windowSeconds: 0 }, T0)).toThrow(RangeError);
  });
});

describe('in-memory circuit breaker', () => {
  it('goes through every state with one probe among concurrent callers', async () => {
    const breaker = createInMemoryCircuitBreaker();
    const at = (ms: number) => new Date(T0 + ms);
    for (const ms of [0, 1, 2]) await breaker.recordFailure('crm', policy, at(ms));
    expect((await breaker.status('crm', at(3))).state).toBe('open');
    expect(await breaker.allow('crm', policy, at(3))).toMatchObject({ allowed: false, state: 'open' });
    const decisions = await Promise.all(
      Array.from({ length: 5 }, () => breaker.allow('crm', policy, at(30_002))),
    );
    expect(decisions.filter((d) => d.allowed)).toHaveLength(1);
    expect((await breaker.status('crm', at(30_003))).state).toBe('half-open');
    await breaker.recordSuccess('crm', at(30_004));
    expect(await breaker.status('crm', at(30_005))).toEqual({ key: 'crm', state: 'closed', failures: 0 });
  });
});
