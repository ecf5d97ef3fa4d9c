/** @jsxImportSource hono/jsx */
import type { JSX } from 'hono/jsx/jsx-runtime';
import * as z from 'zod';
import type { ConnectorStatus } from '../connectors/status.ts';
import type { Approvals } from '../core/approvals/approval.ts';
import { approvalIdFor } from '../core/approvals/service.ts';
import { ValidationError } from '../core/errors.ts';
import { RunIdSchema } from '../core/ids.ts';
import type { MetricsService } from '../core/metrics/metrics-service.ts';
import { windowStart } from '../core/metrics/since.ts';
import type { DeadLetters } from '../core/ports.ts';
import { createRunsService, type RunsServiceDeps } from '../core/runs-service.ts';
import { RunStatusSchema, SlugSchema } from '../core/schemas.ts';
import { type ConsoleHandlers, csrfOf, field, form, page } from './console-kit.tsx';
import { ConnectorsPage } from './pages/connectors.tsx';
import { href } from './pages/layout.tsx';
import { RunPage } from './pages/run.tsx';
import { RunsPage } from './pages/runs.tsx';
import { WorkflowsPage } from './pages/workflows.tsx';

export interface ViewPagesDeps extends RunsServiceDeps {
  /** A run's page shows the approvals it asked for; deciding is decision-pages.tsx's. */
  approvals: Pick<Approvals, 'get'>;
  metrics: MetricsService;
  /** Each action type with its breaker's state now. */
  connectors: () => Promise<readonly ConnectorStatus[]>;
  deadLetters: DeadLetters;
}

const RunsQuerySchema = z.object({
  workflow: z.union([SlugSchema, z.literal('')]).optional(),
  status: z.union([RunStatusSchema, z.literal('')]).optional(),
  since: z.enum(['', '24h', '7d', '30d']).optional(),
});
const WORKFLOWS_WINDOW = '30d';
/** Dead letters shown on the connectors page; the redrive moves all of them. */
const DEAD_LETTERS_SHOWN = 50;

/** The console's views: runs, a run, workflows with their metrics (and starting one), connectors and dead letters. */
export function viewPages(deps: ViewPagesDeps): ConsoleHandlers {
  const runs = createRunsService(deps);
  return {
    consoleHome: (c) => c.redirect(href('/runs'), 303),
    consoleRuns: async (c) => {
      const filters = RunsQuerySchema.parse(c.req.query());
      const all = await runs.list({ ...(filters.status ? { status: filters.status } : {}), limit: 200 });
      const since = filters.since ? windowStart(filters.since, deps.clock.now()).toISOString() : '';
      const shown = all.filter(
        (run) => (!filters.workflow || run.workflow === filters.workflow) && run.createdAt >= since,
      );
      return page(
        c,
        RunsPage({
          csrf: csrfOf(c),
          runs: shown,
          workflows: (await deps.catalog.workflows()).map((w) => w.name),
          filters: {
            ...(filters.workflow ? { workflow: filters.workflow } : {}),
            ...(filters.status ? { status: filters.status } : {}),
            ...(filters.since ? { since: filters.since } : {}),
          },
        }) as JSX.Element,
      );
    },
    consoleRun: async (c) => {
      const runId = RunIdSchema.parse(c.req.param('id'));
      const details = await runs.details(runId);
      const [audit, history, cost] = await Promise.all([
        runs.audit(runId),
        runs.history(runId),
        deps.metrics.runCost(runId),
      ]);
      const asked = [...new Set(audit.filter((e) => e.outcome === 'needs-approval').map((e) => e.stepIndex))];
      const approvals = (
        await Promise.all(asked.map((i) => deps.approvals.get(approvalIdFor(runId, i))))
      ).filter((a) => a !== undefined);
      return page(c, RunPage({ csrf: csrfOf(c), details, audit, approvals, history, cost }) as JSX.Element);
    },
    consoleWorkflows: async (c) => {
      const report = await deps.metrics.metrics({ since: windowStart(WORKFLOWS_WINDOW, deps.clock.now()) });
      return page(
        c,
        WorkflowsPage({
          csrf: csrfOf(c),
          workflows: await deps.catalog.workflows(),
          metrics: report.workflows,
          series: report.daily,
          window: WORKFLOWS_WINDOW,
        }) as JSX.Element,
      );
    },
    consoleStartRun: async (c) => {
      const workflow = SlugSchema.parse(c.req.param('name'));
      let input: unknown;
      try {
        input = JSON.parse(field(await form(c), 'input') || '{}');
      } catch {
        throw new ValidationError('input: not JSON', []);
      }
      const { run } = await runs.start({
        workflow,
        input: z.record(z.string(), z.unknown()).parse(input),
      });
      return c.redirect(href(`/runs/${encodeURIComponent(run.runId)}`), 303);
    },
    consoleConnectors: async (c) => {
      const [connectors, deadLetters] = await Promise.all([
        deps.connectors(),
        deps.deadLetters.list(DEAD_LETTERS_SHOWN),
      ]);
      return page(c, ConnectorsPage({ csrf: csrfOf(c), connectors, deadLetters }) as JSX.Element);
    },
    consoleRedrive: async (c) => {
      await deps.deadLetters.redrive();
      return c.redirect(href('/connectors'), 303);
    },
  };
}
