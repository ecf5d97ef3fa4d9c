import * as z from 'zod';
import { createRunControl, type RunControlDeps } from '../core/run-control/run-control.ts';
import { parseOrThrow } from '../core/validation.ts';
import { humanOverrideMetric } from '../shared/workflow-metrics.ts';
import { type HttpRequest, type HttpResult, json } from './http.ts';
import { idempotencyKeyOf } from './idempotency-key-header.ts';
import { parseBody, runIdOf } from './request-input.ts';

type Route = (event: HttpRequest) => Promise<HttpResult>;

const CancelBodySchema = z.object({ reason: z.string().min(1).max(2000).optional() }).strict();
const RerunBodySchema = z
  .object({
    /** Fields laid over the old run's input (`aios rerun --set key=value`). */
    set: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

/** An optional JSON body: none at all is the same as `{}`. */
const optionalBody = (event: HttpRequest): unknown => (event.body.length === 0 ? {} : parseBody(event));

/** POST /runs/{id}/cancel, /retry and /rerun. */
export function runControlRoutes(deps: RunControlDeps) {
  const control = createRunControl(deps);
  return {
    cancelRun: (async (event) => {
      const runId = runIdOf(event);
      const body = parseOrThrow(CancelBodySchema, optionalBody(event), 'request body');
      const cancelled = await control.cancel(runId, { by: 'operator', ...body });
      humanOverrideMetric(cancelled.run.workflow);
      return json(200, cancelled);
    }) satisfies Route,
    retryRun: (async (event) => {
      const run = await control.retry(runIdOf(event), { by: 'operator' });
      return json(202, { run });
    }) satisfies Route,
    rerunRun: (async (event) => {
      const runId = runIdOf(event);
      const body = parseOrThrow(RerunBodySchema, optionalBody(event), 'request body');
      const idempotencyKey = idempotencyKeyOf(event);
      const { run, replayed } = await control.rerun(runId, {
        by: 'operator',
        set: body.set,
        ...(idempotencyKey ? { idempotencyKey } : {}),
      });
      return json(replayed ? 200 : 202, {
        runId: run.runId,
        status: run.status,
        workflow: run.workflow,
        mode: run.mode,
        rerunOf: runId,
      });
    }) satisfies Route,
  };
}
