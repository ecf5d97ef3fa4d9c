import * as z from 'zod';
import { RunIdSchema } from '../core/ids.ts';
import type { MetricsService } from '../core/metrics/metrics-service.ts';
import { windowStart } from '../core/metrics/since.ts';
import { MetricsQuerySchema } from '../core/metrics/window.ts';
import type { Clock } from '../core/ports.ts';
import { parseOrThrow } from '../core/validation.ts';

// Shaped as the route table's handlers (functions/api/http.ts on the house branch): a request
// with null-prototype query and path maps in, a status, headers and body out. A ValidationError
// or NotFoundError thrown here is the router's 400 or 404, as for every other route.
interface MetricsRequest {
  readonly query: Readonly<Record<string, string>>;
  readonly params: Readonly<Record<string, string>>;
}
interface MetricsResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

const json = (statusCode: number, body: unknown): MetricsResult => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

export interface MetricsApiDeps {
  metrics: MetricsService;
  clock: Clock;
}

/** GET /metrics?since=30d&workflow=w and GET /runs/{id}/cost. */
export function metricsRoutes(deps: MetricsApiDeps) {
  return {
    async getMetrics(request: MetricsRequest): Promise<MetricsResult> {
      const query = parseOrThrow(MetricsQuerySchema, { ...request.query }, 'query');
      const since = windowStart(query.since, deps.clock.now());
      return json(
        200,
        await deps.metrics.metrics({ since, ...(query.workflow ? { workflow: query.workflow } : {}) }),
      );
    },
    async runCost(request: MetricsRequest): Promise<MetricsResult> {
      const { id } = parseOrThrow(z.object({ id: RunIdSchema }), { ...request.params }, 'path');
      return json(200, await deps.metrics.runCost(id));
    },
  };
}
