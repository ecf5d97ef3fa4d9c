import { describe, expect, it } from 'vitest';
import { dailySeries } from '../../../../functions/core/metrics/daily.ts';

describe('runs and cost per day (the workflows chart)', () => {
  it('counts each run on its UTC creation day with its cost, every day of the window present', () => {
    const runs = [
      { runId: 'a1', workflow: 'onboarding', createdAt: '2026-11-28T23:59:59.000Z' },
      { runId: 'a2', workflow: 'onboarding', createdAt: '2026-11-30T00:00:00.000Z' },
      { runId: 'a3', workflow: 'onboarding', createdAt: '2026-11-30T11:00:00.000Z' },
      { runId: 'b1', workflow: 'content-draft', createdAt: '2026-11-29T08:00:00.000Z' },
    ];
    const cost: Record<string, number> = { a1: 0.01, a2: 0.02, a3: 0.005, b1: 0.25 };
    const series = dailySeries(runs, (runId) => cost[runId] ?? 0, {
      since: '2026-11-28T12:00:00.000Z',
      until: '2026-11-30T12:00:00.000Z',
    });
    expect(series.onboarding).toEqual([
      { day: '2026-11-28', runs: 1, costUsd: 0.01 },
      { day: '2026-11-29', runs: 0, costUsd: 0 },
      { day: '2026-11-30', runs: 2, costUsd: 0.025 },
    ]);
    expect(series['content-draft']).toEqual([
      { day: '2026-11-28', runs: 0, costUsd: 0 },
      { day: '2026-11-29', runs: 1, costUsd: 0.25 },
      { day: '2026-11-30', runs: 0, costUsd: 0 },
    ]);
    expect(Object.keys(series).sort()).toEqual(['content-draft', 'onboarding']);
  });
});
