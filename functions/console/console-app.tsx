/** @jsxImportSource hono/jsx */
import type { Context } from 'hono';
import { Hono } from 'hono';
import type { JSX } from 'hono/jsx/jsx-runtime';
import * as z from 'zod';
import { type RouteSpec, routesOf } from '../api/routes.ts';
import type { ConnectorStatus } from '../connectors/status.ts';
import type { HandoffService } from '../core/agents/handoff-service.ts';
import type { Approvals } from '../core/approvals/approval.ts';
import { approvalIdFor } from '../core/approvals/service.ts';
import { ConflictError, NotFoundError, ValidationError } from '../core/errors.ts';
import { RunIdSchema } from '../core/ids.ts';
import type { MemoryService } from '../core/memory/memory-service.ts';
import type { MetricsService } from '../core/metrics/metrics-service.ts';
import { windowStart } from '../core/metrics/since.ts';
import type { DeadLetters } from '../core/ports.ts';
import { createRunControl, type RunControlDeps } from '../core/run-control/run-control.ts';
import { createRunsService, type RunsServiceDeps } from '../core/runs-service.ts';
import { RunStatusSchema, SlugSchema } from '../core/schemas.ts';
import type { TrustService } from '../core/trust/trust-service.ts';
import { logger } from '../shared/powertools.ts';
import { humanOverrideMetric } from '../shared/workflow-metrics.ts';
import type { ConsoleAuth, ConsoleEnv } from './auth.ts';
import { ConnectorsPage } from './pages/connectors.tsx';
import { InboxPage } from './pages/inbox.tsx';
import { CONSOLE_BASE, href } from './pages/layout.tsx';
import { MemoryPage } from './pages/memory.tsx';
import { RunPage } from './pages/run.tsx';
import { RunsPage } from './pages/runs.tsx';
import { WorkflowsPage } from './pages/workflows.tsx';

export interface ConsoleDeps extends RunsServiceDeps {
  approvals: Approvals;
  /** The handoff inbox: completing one answers its run, which goes on. */
  handoffs: Pick<HandoffService, 'list' | 'complete'>;
  metrics: MetricsService;
  auth: ConsoleAuth;
  /** Each action type with its breaker's state now. */
  connectors: () => Promise<readonly ConnectorStatus[]>;
  deadLetters: DeadLetters;
  memory: Pick<MemoryService, 'search'>;
  /** What a cancel withdraws (pending approvals and handoffs), as `POST /runs/{id}/cancel` does. */
  runControl: Pick<RunControlDeps, 'approvals' | 'handoffs'>;
  /** Shadow reviews waiting in the inbox, and the judgement that earns (or withholds) promotion. */
  reviews: Pick<TrustService, 'listReviews' | 'judge'>;
  /** Which rows to serve: on AWS the local-only ones (the token login) are not there. Default local. */
  target?: 'aws' | 'local';
}

type C = Context<ConsoleEnv>;
const page = (c: C, element: JSX.Element) => c.html(`<!doctype html>${element}`);
const csrfOf = (c: C) => c.get('session').csrf;
const honoPath = (path: string) => path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');

const RunsQuerySchema = z.object({
  workflow: z.union([SlugSchema, z.literal('')]).optional(),
  status: z.union([RunStatusSchema, z.literal('')]).optional(),
  since: z.enum(['', '24h', '7d', '30d']).optional(),
});
const MemoryQuerySchema = z.object({
  q: z.string().max(2000).optional(),
  namespace: z.string().max(200).optional(),
});
const RunControlFormSchema = z.object({
  action: z.enum(['cancel', 'retry', 'rerun']),
  reason: z.string().max(2000).optional(),
});
const WORKFLOWS_WINDOW = '30d';
/** Dead letters shown on the connectors page; the redrive moves all of them. */
const DEAD_LETTERS_SHOWN = 50;
/** Served by the auth's own routes (locally the token login, on AWS Cognito's sign-in). */
const SESSION_ROUTES = new Set([
  'consoleLoginForm',
  'consoleLogin',
  'consoleLogout',
  'consoleSignInCallback',
]);

/** The console's rows of the table (its function's): served here, each row once. */
export const consoleRoutes = (target: 'aws' | 'local' = 'local'): readonly RouteSpec[] =>
  routesOf('console', target);

/**
 * The operator console (server-rendered pages, forms with the session's CSRF token), serving
 * exactly the table's `console` rows: every one but the login and logout behind a session.
 */
export function createConsoleApp(deps: ConsoleDeps): Hono {
  const runs = createRunsService(deps);
  // The same service as the API's POST /runs/{id}/cancel, /retry and /rerun.
  const control = createRunControl({
    store: deps.store,
    orchestrator: deps.orchestrator,
    clock: deps.clock,
    catalog: deps.catalog,
    runs,
    ...deps.runControl,
  });
  const guard = deps.auth.requireSession;
  const form = async (c: C) => (await c.req.parseBody()) as Record<string, string | File>;
  const field = (body: Record<string, string | File>, name: string) =>
    typeof body[name] === 'string' ? (body[name] as string) : undefined;

  const handlers: Record<string, (c: C) => Response | Promise<Response>> = {
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
    consoleInbox: async (c) => {
      const [pending, handoffs, reviews] = await Promise.all([
        deps.approvals.listPending(),
        deps.handoffs.list(),
        deps.reviews.listReviews(),
      ]);
      const renderedAt = deps.clock.now().toISOString();
      return page(c, InboxPage({ csrf: csrfOf(c), pending, handoffs, reviews, renderedAt }) as JSX.Element);
    },
    consoleJudgeReview: async (c) => {
      const id = z.string().min(1).max(200).parse(c.req.param('id'));
      const body = await form(c);
      const verdict = field(body, 'verdict');
      const changeText = verdict === 'change' ? field(body, 'change')?.trim() : undefined;
      let change: unknown;
      try {
        change = changeText ? JSON.parse(changeText) : undefined;
      } catch {
        throw new ValidationError('change: not JSON (the parameters as you would have them)', []);
      }
      // The trust service checks the verdict and that a change comes with (only) a "change" verdict.
      await deps.reviews.judge(id, {
        verdict,
        ...(change !== undefined ? { change } : {}),
        ...(field(body, 'note') ? { note: field(body, 'note') } : {}),
        by: 'operator',
      });
      return c.redirect(href('/inbox'), 303);
    },
    consoleCompleteHandoff: async (c) => {
      const id = z.string().min(1).max(200).parse(c.req.param('id'));
      // The service checks the text (and an extraction's fields) against the step's declared output.
      await deps.handoffs.complete(id, { text: field(await form(c), 'text') ?? '', by: 'operator' });
      return c.redirect(href('/inbox'), 303);
    },
    consoleDecide: async (c) => {
      const id = z.string().min(1).max(200).parse(c.req.param('id'));
      const body = await form(c);
      const decision = z.enum(['approve', 'reject']).parse(field(body, 'decision'));
      const edits = Object.fromEntries(
        Object.keys(body)
          .filter((name) => name.startsWith('param.'))
          .map((name) => [name.slice('param.'.length), field(body, name)]),
      );
      const approval = await deps.approvals.get(id);
      if (!approval) throw new NotFoundError(`approval ${id} does not exist`);
      // Only a field whose value the operator changed is an edit.
      const changed = Object.fromEntries(
        Object.entries(edits).filter(([name, value]) => String(approval.action.params[name] ?? '') !== value),
      );
      const result = await deps.approvals.decide(id, {
        outcome: decision === 'approve' ? 'approved' : 'rejected',
        channel: 'api',
        by: 'operator',
        note: field(body, 'note') || undefined,
        editedParams: decision === 'approve' && Object.keys(changed).length > 0 ? changed : undefined,
        openedAt: z.iso
          .datetime()
          .optional()
          .parse(field(body, 'openedAt') || undefined),
      });
      if (!result.ok && result.reason !== 'already-decided')
        return c.text(
          `Not decided: ${'message' in result ? result.message : result.reason}`,
          result.reason === 'invalid-edit' ? 400 : 409,
        );
      return c.redirect(href('/inbox'), 303);
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
    consoleMemory: async (c) => {
      const query = MemoryQuerySchema.parse(c.req.query());
      const shown = {
        ...(query.q ? { q: query.q } : {}),
        ...(query.namespace ? { namespace: query.namespace } : {}),
      };
      if (!query.q) return page(c, MemoryPage({ csrf: csrfOf(c), query: shown }) as JSX.Element);
      try {
        const result = await deps.memory.search({ q: query.q, namespace: query.namespace || 'operator' });
        return page(c, MemoryPage({ csrf: csrfOf(c), query: shown, result }) as JSX.Element);
      } catch (error) {
        // A query the search refuses (a bad namespace) is shown on the page, with the field it names.
        if (!(error instanceof ValidationError)) throw error;
        return page(c, MemoryPage({ csrf: csrfOf(c), query: shown, error: error.message }) as JSX.Element);
      }
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
  };

  const app = new Hono<ConsoleEnv>({ strict: false });
  for (const route of consoleRoutes(deps.target)) {
    // Login, logout and the sign-in callback are the session's own routes, served by the auth (mounted below).
    if (SESSION_ROUTES.has(route.id)) continue;
    const handler = handlers[route.id];
    if (!handler) throw new Error(`console route ${route.id} has no handler`);
    if (route.auth === 'console-sign-in') app.on(route.method, honoPath(route.path), handler);
    else app.on(route.method, honoPath(route.path), guard, handler);
  }
  app.route(CONSOLE_BASE, deps.auth.routes);
  app.onError((error, c) => {
    if (error instanceof z.ZodError || error instanceof ValidationError)
      return c.text(`Bad request: ${error.message}`, 400);
    if (error instanceof NotFoundError) return c.text(error.message, 404);
    if (error instanceof ConflictError) return c.text(error.message, 409);
    logger.error('console request failed', { error });
    return c.text('Something went wrong; the server log has the details.', 500);
  });
  return app as unknown as Hono;
}
