/**
 * Where the interpreter reads the time and arms its wake-ups. Every timestamp it records and every
 * deadline it checks comes from `now`, so a test can drive time itself instead of sleeping.
 */
export interface AslClock {
  /** Milliseconds since the epoch, as Date.now(). */
  now(): number;
  /** Calls `callback` once, about `delayMs` later; the returned function cancels it. */
  setTimer(callback: () => void, delayMs: number): () => void;
}

export const systemAslClock: AslClock = {
  now: () => Date.now(),
  setTimer(callback, delayMs) {
    const timer = setTimeout(callback, delayMs);
    return () => clearTimeout(timer);
  },
};

/**
 * `base` plus `delayMs` scaled, rounded up to a whole millisecond: a scaled deadline may end late by
 * less than a millisecond, never early. The tolerance keeps float noise (1000 × 0.07 is
 * 70.00000000000001) from adding a millisecond.
 */
export function scaledDeadline(base: number, delayMs: number, timeScale: number): number {
  return base + Math.ceil(delayMs * timeScale - 1e-6);
}
