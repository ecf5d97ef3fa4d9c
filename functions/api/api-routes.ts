import * as z from 'zod';
import type { ConnectorStatus } from '../connectors/status.ts';
import type { HandoffService } from '../core/agents/handoff-service.ts';
import type { Approvals } from '../core/approvals/approval.ts';
import { ConflictError, IdempotencyKeyReusedError, NotFoundError, ValidationError } from '../core/errors.ts';
import type { MetricsService } from '../core/metrics/metrics-service.ts';
import type { PlaybookRegistry } from '../core/playbooks/registry.ts';
import type { DeadLetters } from '../core/ports.ts';
import type { Replay } from '../core/replay/replay.ts';
import type { RunControlDeps } from '../core/run-control/run-control.ts';
import { createRunsService, type RunsServiceDeps } from '../core/runs-service.ts';
import { RunStatusSchema, StartRunRequestSchema } from '../core/schemas.ts';
import type { ScheduleFires } from '../core/triggers/schedule-fires.ts';
import type { TrustService } from '../core/trust/trust-service.ts';
import { parseOrThrow } from '../core/validation.ts';
import { logger, metrics } from '../shared/powertools.ts';
import { handoffRoutes, type RouteResult } from './handoff-routes.ts';
import { type HttpRequest, type HttpResult, json, type RouteHandler, type RouteHandlers } from './http.ts';
import { idempotencyKeyOf } from './idempotency-key-header.ts';
import { type MemoryApiDeps, memoryRoutes } from './memory-routes.ts';
import { metricsRoutes } from './metrics-routes.ts';
import { playbookRoutes } from './playbook-routes.ts';
import { replayRoutes } from './replay-routes.ts';
import { approvalIdOf, PayloadTooLargeError, parseBody, runIdOf } from './request-input.ts';
import type { ApiFunction } from './routes.ts';
import { runControlRoutes } from './run-control-routes.ts';
import { scheduleRoutes } from './schedule-routes.ts';
import { trustRoutes } from './trust-routes.ts';

const ListRunsQuerySchema = z.object({
  status: RunStatusSchema.optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
});

const DeadLetterQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) });

const DecisionBodySchema = z.object({
  decision: z.enum(['approve', 'reject']),
  note: z.string().max(2000).optional(),
  /** Edit-then-approve: only the parameters the request marks editable. */
  params: z.record(z.string(), z.unknown()).optional(),
});

export interface ApiRoutesDeps extends RunsServiceDeps {
  /** The gateway's dead letters (`aios dlq`). */
  deadLetters?: DeadLetters;
  /** Each action type with its limits and its circuit breaker's state. */
  connectors?: () => Promise<ConnectorStatus[]>;
  /** The operator's approval inbox. */
  approvals?: Approvals;
  memory?: MemoryApiDeps;
  /** The scheduled playbooks: list, pause, resume, fire now. */
  schedules?: Pick<ScheduleFires, 'list' | 'pause' | 'resume' | 'fireNow'>;
  /** Workflow metrics and cost per run (functions/app.ts builds it from the same stores). */
  metrics?: MetricsService;
  /** The model steps handed to the operator. */
  handoffs?: Pick<HandoffService, 'list' | 'get' | 'complete'>;
  /** The playbook registry (list, show, push, diff). */
  playbooks?: PlaybookRegistry;
  /** Shadow reviews, judgements, promotion and demotion. */
  trust?: TrustService;
  /** What a cancel withdraws: the run's pending approvals and handoffs. */
  runControl?: Pick<RunControlDeps, 'approvals' | 'handoffs'>;
  /** Replays of past runs, effects off (functions/app.ts builds it). */
  replay?: Replay;
}

/** The operator's API: runs (start, list, show, history, audit), the gateway's dead letters, approvals, connectors and memory. */
export function createApiRoutes(deps: ApiRoutesDeps): RouteHandlers<ApiFunction> {
  const runs = createRunsService(deps);

  const routes = {
    startRun: async (event) => {
      const idempotencyKey = idempotencyKeyOf(event);
      const request = parseOrThrow(StartRunRequestSchema, parseBody(event), 'request body');
      const { run, replayed } = await runs.start(request, { idempotencyKey });
      const body = { runId: run.runId, status: run.status, workflow: run.workflow, mode: run.mode };
      if (!replayed) {
        metrics.addMetric('RunStarted', 'Count', 1);
        return json(202, body);
      }
      // The key already started this run: the same run, nothing new (header as Stripe names it).
      const replay = json(200, body);
      return { ...replay, headers: { ...replay.headers, 'idempotent-replayed': 'true' } };
    },
    listRuns: async (event) => {
      const query = parseOrThrow(ListRunsQuerySchema, event.query, 'query');
      return json(200, { runs: await runs.list(query) });
    },
    getRun: async (event) => json(200, await runs.details(runIdOf(event))),
    listApprovals: async () => {
      if (!deps.approvals) return json(404, { message: 'approvals are not configured' });
      const now = deps.clock.now().getTime();
      const pending = await deps.approvals.listPending();
      return json(200, {
        approvals: pending
          .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
          .map((a) => ({ ...a, ageSeconds: Math.round((now - new Date(a.createdAt).getTime()) / 1000) })),
      });
    },
    getApproval: async (event) => {
      const id = approvalIdOf(event);
      const approval = await deps.approvals?.get(id);
      if (!approval) return json(404, { message: `approval ${id} does not exist` });
      return json(200, { approval });
    },
    decideApproval: async (event) => {
      if (!deps.approvals) return json(404, { message: 'approvals are not configured' });
      const id = approvalIdOf(event);
      const body = parseOrThrow(DecisionBodySchema, parseBody(event), 'request body');
      const result = await deps.approvals.decide(id, {
        outcome: body.decision === 'approve' ? 'approved' : 'rejected',
        channel: 'api',
        by: 'operator',
        note: body.note,
        editedParams: body.params,
      });
      if (result.ok) return json(200, { approval: result.approval });
      if (result.reason === 'not-found') return json(404, { message: `approval ${id} does not exist` });
      const status = { 'already-decided': 409, expired: 410, 'not-allowed': 403, 'invalid-edit': 400 }[
        result.reason
      ];
      return json(status, { message: result.message, approval: result.approval });
    },
    listConnectors: async () => {
      if (!deps.connectors) return json(404, { message: 'connector status is not configured' });
      return json(200, { connectors: await deps.connectors() });
    },
    listDeadLetters: async (event) => {
      if (!deps.deadLetters) return json(404, { message: 'dead letters are not configured' });
      const { limit } = parseOrThrow(DeadLetterQuerySchema, event.query, 'query');
      return json(200, { messages: await deps.deadLetters.list(limit) });
    },
    redriveDeadLetters: async () => {
      if (!deps.deadLetters) return json(404, { message: 'dead letters are not configured' });
      const moved = await deps.deadLetters.redrive();
      metrics.addMetric('DeadLettersRedriven', 'Count', moved.moved ?? 1);
      return json(202, moved);
    },
    runAudit: async (event) => {
      const runId = runIdOf(event);
      return json(200, { runId, entries: await runs.audit(runId) });
    },
    runHistory: async (event) => {
      const runId = runIdOf(event);
      return json(200, { runId, events: await runs.history(runId) });
    },
    ...memoryRoutes(deps.memory),
    ...scheduleRoutes(deps.schedules),
    ...(deps.metrics
      ? metricsRoutes({ metrics: deps.metrics, clock: deps.clock })
      : {
          getMetrics: async () => json(404, { message: 'metrics are not configured' }),
          runCost: async () => json(404, { message: 'metrics are not configured' }),
        }),
    ...handoffHandlers(deps.handoffs),
    ...playbookRoutes(deps.playbooks),
    ...trustRoutes(deps.trust),
    ...replayRoutes(deps.replay),
    ...runControlRoutes({
      store: deps.store,
      orchestrator: deps.orchestrator,
      catalog: deps.catalog,
      clock: deps.clock,
      runs,
      ...deps.runControl,
    }),
  } satisfies Record<string, (event: HttpRequest) => Promise<HttpResult>>;
  return Object.fromEntries(
    Object.entries(routes).map(([id, route]) => [id, guarded(route)]),
  ) as RouteHandlers<ApiFunction>;
}

/** The handoff inbox (handoff-routes.ts) under its route ids; without the service, each answers 404. */
function handoffHandlers(handoffs: ApiRoutesDeps['handoffs']) {
  const routes = handoffs && handoffRoutes(handoffs);
  const answer = async (call: (r: NonNullable<typeof routes>) => Promise<RouteResult>) => {
    if (!routes) return json(404, { message: 'handoffs are not configured' });
    const { status, body } = await call(routes);
    return json(status, body);
  };
  return {
    listHandoffs: () => answer((r) => r.list()),
    getHandoff: (event: HttpRequest) => answer((r) => r.get(event.params.id)),
    completeHandoff: (event: HttpRequest) => answer((r) => r.complete(event.params.id, parseBody(event))),
  };
}

/** Maps the domain's errors to their 4xx; anything else is a generic 500 with the real error logged. */
function guarded(route: RouteHandler): RouteHandler {
  return async (event) => {
    try {
      return await route(event);
    } catch (error) {
      if (error instanceof PayloadTooLargeError) return json(413, { message: error.message });
      if (error instanceof ValidationError)
        return json(400, { message: error.message, issues: error.issues });
      if (error instanceof NotFoundError) return json(404, { message: error.message });
      if (error instanceof ConflictError) return json(409, { message: error.message });
      if (error instanceof IdempotencyKeyReusedError) return json(422, { message: error.message });
      // A 5xx says nothing about internals; the log has the real error.
      logger.error('request failed', { error: error as Error });
      return json(500, {
        message: 'internal error; the request id is in the server log',
        requestId: event.requestId,
      });
    }
  };
}
