import { describe, expect, it } from 'vitest';
import { scaledDeadline } from '../../../lib/local/asl/clock.ts';

describe('scaled deadlines', () => {
  it('round up to a whole millisecond, so a scaled wait never ends early', () => {
    expect(scaledDeadline(1_000, 1_000, 0.0015)).toBe(1_002);
    expect(scaledDeadline(1_000, 2_000, 1)).toBe(3_000);
  });

  it('do not turn float noise into an extra millisecond', () => {
    // 1000 × 0.07 is 70.00000000000001 in floating point.
    expect(scaledDeadline(0, 1_000, 0.07)).toBe(70);
  });
});
