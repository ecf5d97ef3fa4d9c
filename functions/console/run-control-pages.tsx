/** @jsxImportSource hono/jsx */
import * as z from 'zod';
import { RunIdSchema } from '../core/ids.ts';
import { createRunControl, type RunControlDeps } from '../core/run-control/run-control.ts';
import { createRunsService, type RunsServiceDeps } from '../core/runs-service.ts';
import { humanOverrideMetric } from '../shared/workflow-metrics.ts';
import { type ConsoleHandlers, field, form } from './console-kit.tsx';
import { href } from './pages/layout.tsx';

export interface RunControlPagesDeps extends RunsServiceDeps {
  /** What a cancel withdraws (pending approvals and handoffs), as `POST /runs/{id}/cancel` does. */
  runControl: Pick<RunControlDeps, 'approvals' | 'handoffs'>;
}

const RunControlFormSchema = z.object({
  action: z.enum(['cancel', 'retry', 'rerun']),
  reason: z.string().max(2000).optional(),
});

/** The run page's cancel, retry and rerun: the same service as the API's POST /runs/{id}/cancel, /retry and /rerun. */
export function runControlPages(deps: RunControlPagesDeps): ConsoleHandlers {
  const control = createRunControl({
    store: deps.store,
    orchestrator: deps.orchestrator,
    clock: deps.clock,
    catalog: deps.catalog,
    runs: createRunsService(deps),
    ...deps.runControl,
  });
  return {
    consoleRunControl: async (c) => {
      const runId = RunIdSchema.parse(c.req.param('id'));
      const body = await form(c);
      const { action, reason } = RunControlFormSchema.parse({
        action: field(body, 'action'),
        reason: field(body, 'reason') || undefined,
      });
      if (action === 'cancel') {
        const { run } = await control.cancel(runId, { by: 'operator', ...(reason ? { reason } : {}) });
        humanOverrideMetric(run.workflow);
      } else if (action === 'retry') await control.retry(runId, { by: 'operator' });
      else {
        const { run } = await control.rerun(runId, { by: 'operator', set: {} });
        return c.redirect(href(`/runs/${encodeURIComponent(run.runId)}`), 303);
      }
      return c.redirect(href(`/runs/${encodeURIComponent(runId)}`), 303);
    },
  };
}
