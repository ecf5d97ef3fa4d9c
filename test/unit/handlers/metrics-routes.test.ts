import { describe, expect, it } from 'vitest';
import { metricsRoutes } from '../../../functions/api/metrics-routes.ts';
import { NotFoundError, ValidationError } from '../../../functions/core/errors.ts';
import type { MetricsService } from '../../../functions/core/metrics/metrics-service.ts';

const NOW = new Date('2026-11-30T12:00:00.000Z');

function routes() {
  const asked: { since: string; workflow?: string }[] = [];
  const service = {
    metrics: async (query: { since: Date; workflow?: string }) => {
      asked.push({
        since: query.since.toISOString(),
        ...(query.workflow ? { workflow: query.workflow } : {}),
      });
      return {
        since: query.since.toISOString(),
        until: NOW.toISOString(),
        pricesAsOf: '2026-12-01',
        workflows: [],
        truncated: false,
        daily: {},
      };
    },
    runCost: async (runId: string) => {
      if (runId !== 'r1') throw new NotFoundError(`run ${runId} does not exist`);
      return { runId } as Awaited<ReturnType<MetricsService['runCost']>>;
    },
  } as MetricsService;
  return { asked, ...metricsRoutes({ metrics: service, clock: { now: () => NOW } }) };
}

const request = (query: Record<string, string> = {}, params: Record<string, string> = {}) => ({
  query,
  params,
});

describe('GET /metrics', () => {
  it('reads the last 30 days by default, or the window and workflow asked for', async () => {
    const r = routes();
    const answer = await r.getMetrics(request());
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ since: '2026-10-31T12:00:00.000Z', workflows: [] });
    await r.getMetrics(request({ since: '12h', workflow: 'onboarding' }));
    await r.getMetrics(request({ since: '2026-11-29T00:00:00Z' }));
    expect(r.asked.slice(1)).toEqual([
      { since: '2026-11-30T00:00:00.000Z', workflow: 'onboarding' },
      { since: '2026-11-29T00:00:00.000Z' },
    ]);
  });

  it('never reads back further than a year', async () => {
    const r = routes();
    await r.getMetrics(request({ since: '9999d' }));
    expect(r.asked[0]?.since).toBe('2025-11-29T12:00:00.000Z');
  });

  it('refuses a bad window or workflow with a 400 naming the field, before reading anything', async () => {
    const r = routes();
    await expect(r.getMetrics(request({ since: 'last week' }))).rejects.toThrow(/since: must be a duration/);
    await expect(r.getMetrics(request({ workflow: 'Not A Slug' }))).rejects.toThrow(ValidationError);
    await expect(r.getMetrics(request({ workflow: 'Not A Slug' }))).rejects.toThrow(/workflow/);
    expect(r.asked).toEqual([]);
  });
});

describe('GET /runs/{id}/cost', () => {
  it('answers the run’s cost; a bad id is a 400 and an unknown run a 404', async () => {
    const r = routes();
    expect(JSON.parse((await r.runCost(request({}, { id: 'r1' }))).body)).toEqual({ runId: 'r1' });
    await expect(r.runCost(request({}, { id: '../etc' }))).rejects.toThrow(ValidationError);
    await expect(r.runCost(request({}, { id: 'r2' }))).rejects.toThrow(NotFoundError);
  });
});
