/**
 * The one composition module of aios: every handler is built here from the ports it needs.
 * AWS entry points (functions/<name>/lambda.ts) call one factory each with AWS adapters; the
 * local runtime calls them with the local adapters and stand-ins. Each factory takes only what
 * its handler uses, so a Lambda bundle holds only that handler's code.
 */
import type { Hono } from 'hono';
import { type ApiRoutesDeps, createApiRoutes } from './api/api-routes.ts';
import { buildRouteApp, type RouteAppOptions, type RouteHandler, type RouteHandlers } from './api/http.ts';
import { ROUTES, type Route, type RouteIdOf, type RouteSpec, routesOf } from './api/routes.ts';
import { type ApprovalLinkRoutesDeps, createApprovalLinkRoutes } from './approvals/email/link-handler.ts';
import type { LinkTokens } from './approvals/email/link-token.ts';
import { createEmailApprovalNotifier } from './approvals/email/notifier.ts';
import { createApprovalNotifier } from './approvals/notifier.ts';
import { createSlackInteractionRoutes, type SlackInteractionsDeps } from './approvals/slack/interactions.ts';
import { createSlackApprovalNotifier } from './approvals/slack/notifier.ts';
import { ACTION_DESCRIPTORS, describeAction } from './connectors/descriptors.ts';
import { emailSendConnector } from './connectors/email-send.ts';
import type { EmailTransport } from './connectors/email-transport.ts';
import type { CredentialLookup } from './connectors/http-credential.ts';
import { httpRequestConnector } from './connectors/http-request.ts';
import { paramsProblem } from './connectors/param-schemas.ts';
import { slackDeleteConnector, slackPostConnector } from './connectors/slack-post.ts';
import type { SlackTransport } from './connectors/slack-transport.ts';
import { stateRevertConnector } from './connectors/state-revert.ts';
import { stateUpsertConnector } from './connectors/state-upsert.ts';
import { type ConsoleDeps, createConsoleApp } from './console/console-app.tsx';
import { createHandoffService, type HandoffServiceDeps } from './core/agents/handoff-service.ts';
import type { Approval } from './core/approvals/approval.ts';
import { type ApprovalServiceDeps, createApprovalService } from './core/approvals/service.ts';
import { type ConnectorCatalogue, catalogueOf } from './core/connector.ts';
import type { ExecutorDeps } from './core/executor.ts';
import { createMetricsService } from './core/metrics/metrics-service.ts';
import type { MonitorDeps } from './core/monitor.ts';
import { type AlertMarks, createOperatorAlerts } from './core/operator-alerts.ts';
import { createPlaybookRegistry } from './core/playbooks/registry.ts';
import type { Clock, PlaybookStore, StateStore } from './core/ports.ts';
import { createRecovery, type RecoveryDeps } from './core/recovery.ts';
import type { RunRecorderDeps } from './core/run-recorder.ts';
import { createRunsService, type RunsServiceDeps } from './core/runs-service.ts';
import type { ScheduleStore, WebhookEvents, WebhookSecrets } from './core/triggers/ports.ts';
import { createScheduleFires, type ScheduleFiresDeps } from './core/triggers/schedule-fires.ts';
import { createWebhookTrigger, type WebhookTrigger } from './core/triggers/webhook-trigger.ts';
import { createTrustService, type TrustServiceDeps } from './core/trust/trust-service.ts';
import { createExecutorHandler } from './executor/executor-handler.ts';
import { createGatewayHandler, type GatewayHandlerDeps } from './gateway/gateway-handler.ts';
import { createHookRoutes } from './hooks/hook-routes.ts';
import { createMonitorHandler } from './monitor/monitor-handler.ts';
import { operatorChannel } from './notifications/operator-channel.ts';
import { createPlannerHandler, type PlannerHandlerDeps } from './planner/planner-handler.ts';
import { createRunRecorderHandler } from './run-recorder/run-recorder-handler.ts';
import { createScheduleStartHandler } from './schedules/schedule-start.ts';
import { logger } from './shared/powertools.ts';

/**
 * Workflow metrics and cost per run, read from the runs' own records (journal, audit, approvals,
 * execution history): no second source of truth. Without an approval store no step counts as overridden.
 */
export const createMetrics = (
  ports: Pick<ApiRoutesDeps, 'store' | 'orchestrator' | 'catalog' | 'clock' | 'approvals'>,
) =>
  createMetricsService({
    store: ports.store,
    orchestrator: ports.orchestrator,
    catalog: ports.catalog,
    clock: ports.clock,
    approvals: ports.approvals ?? { get: async () => undefined },
  });

/** The API's handlers, by route id, with the metrics service built from the same stores unless given. */
export const createApiHandlers = (deps: ApiRoutesDeps) =>
  createApiRoutes({ ...deps, metrics: deps.metrics ?? createMetrics(deps) });

/** The operator's API (IAM on AWS): runs, approvals inbox, dead letters, connectors, memory, metrics. */
export const createApiApp = (deps: ApiRoutesDeps): Hono =>
  buildRouteApp(routesOf('api'), createApiHandlers(deps));

/** The email magic links (public; the signed token is the credential). */
export const createApprovalLinksApp = (deps: ApprovalLinkRoutesDeps): Hono =>
  buildRouteApp(routesOf('approval-links'), createApprovalLinkRoutes(deps));

/** Slack's interactivity endpoint (public; every request's signature is checked first). */
export const createSlackInteractionsApp = (deps: SlackInteractionsDeps): Hono =>
  buildRouteApp(routesOf('slack-interactions'), createSlackInteractionRoutes(deps));

/** Inbound webhooks (public; each event's signature is checked before its body is read). */
export const createHooksApp = (hooks: WebhookTrigger): Hono =>
  buildRouteApp(routesOf('hooks'), createHookRoutes({ hooks }));

type ConsoleRouteId = Extract<Route, { auth: 'console' }>['id'];
/** Every route handler of every function, by route id: what the local server serves in one app. */
export type AllRouteHandlers = RouteHandlers<'api'> &
  RouteHandlers<'approval-links'> &
  RouteHandlers<'slack-interactions'> &
  RouteHandlers<'hooks'> &
  Record<Exclude<RouteIdOf<'local'>, ConsoleRouteId>, RouteHandler>;

/**
 * The whole table in one app (the local server), with the stand-in's own checks before each route;
 * the console's rows are served by the console app (its session auth), which serves exactly those.
 */
export function createLocalHttpApp(
  handlers: AllRouteHandlers,
  options: RouteAppOptions & { console?: Hono },
): Hono {
  const app = buildRouteApp(
    ROUTES.filter((route: RouteSpec) => route.auth !== 'console'),
    handlers,
    options,
  );
  if (options.console) app.route('/', options.console);
  return app;
}

/** The operator console locally: its pages over the same services as the API. */
export const createLocalConsoleApp = (
  deps: Omit<ConsoleDeps, 'metrics'> & Pick<ApiRoutesDeps, 'approvals'>,
) => createConsoleApp({ ...deps, metrics: createMetrics(deps) });

/** The transports the gateway's connectors reach the outside with; a missing one means no connector of its kind. */
export interface ConnectorTransports {
  fetch?: typeof fetch;
  credentials?: CredentialLookup;
  email?: { transport: EmailTransport; from: string };
  slack?: SlackTransport;
}

/**
 * Which connectors exist: state and HTTP always; email and Slack only with their transport, so
 * without their configuration an action of their type fails with "no connector handles ...".
 */
export function connectorsFor(store: StateStore, transports: ConnectorTransports): ConnectorCatalogue {
  return catalogueOf([
    stateUpsertConnector(store),
    stateRevertConnector(store),
    httpRequestConnector(transports.fetch, transports.credentials),
    ...(transports.email ? [emailSendConnector(transports.email)] : []),
    ...(transports.slack
      ? [slackPostConnector(transports.slack), slackDeleteConnector(transports.slack)]
      : []),
  ]);
}

/** Risk and compensation come from the connector descriptors, for every service that needs them. */
export const riskOf = (type: string) => describeAction(type)?.risk;
export const compensationOf = (type: string) => describeAction(type)?.compensation;

export const createPlanner = (
  ports: Pick<
    PlannerHandlerDeps,
    'store' | 'model' | 'catalog' | 'clock' | 'memory' | 'handoffs' | 'retry' | 'callTimeoutMs'
  >,
) => createPlannerHandler(ports);

export const createExecutor = (
  ports: Pick<ExecutorDeps, 'store' | 'catalog' | 'clock' | 'operatorPolicy' | 'signer'>,
) => createExecutorHandler({ ...ports, riskOf, compensationOf, validateParams: paramsProblem });

export const createMonitor = (ports: Pick<MonitorDeps, 'store' | 'clock'>) => createMonitorHandler(ports);

export const createRunRecorder = (
  ports: Pick<RunRecorderDeps, 'store' | 'clock' | 'memory' | 'alerts' | 'reviews'>,
) => createRunRecorderHandler(ports);

/**
 * Trust earned and measured: shadow review items, judgements (reviews and approvals of live runs),
 * the promotion gate and the operator-set mode each run starts in.
 */
export const createTrust = (ports: TrustServiceDeps) => createTrustService(ports);

/**
 * The operator's alerts (a failed run, once): Slack when configured, else email; neither
 * configured means no alerts rather than a recorder that cannot start.
 */
export function createAlerts(ports: {
  marks: AlertMarks;
  clock: Clock;
  slack?: { transport: SlackTransport; channel: string };
  email?: { transport: EmailTransport; from: string; to: readonly string[] };
  /** Where a run is seen (a function locally: the address is known once the server listens). */
  runLinkBase?: string | (() => string);
}) {
  const { marks, clock, runLinkBase, ...channels } = ports;
  if (!channels.slack && !(channels.email && channels.email.to.length > 0)) return undefined;
  return createOperatorAlerts({
    marks,
    clock,
    channel: operatorChannel(channels),
    ...(runLinkBase
      ? {
          runLink: (runId: string) =>
            `${(typeof runLinkBase === 'string' ? runLinkBase : runLinkBase()).replace(/\/$/, '')}/runs/${runId}`,
        }
      : {}),
  });
}

/** The action gateway: the connectors its transports allow, each limited as its descriptor says. */
export const createGateway = (
  ports: Omit<GatewayHandlerDeps, 'connectors' | 'limitsOf'> & {
    transports: ConnectorTransports;
    /** Fault injection (the soak): wraps the catalogue the gateway calls. */
    decorateConnectors?: (connectors: ConnectorCatalogue) => ConnectorCatalogue;
    limitsOf?: GatewayHandlerDeps['limitsOf'];
  },
) => {
  const { transports, decorateConnectors, limitsOf, ...deps } = ports;
  const connectors = connectorsFor(ports.store, transports);
  return {
    connectors,
    handler: createGatewayHandler({
      ...deps,
      connectors: decorateConnectors?.(connectors) ?? connectors,
      limitsOf: limitsOf ?? describeAction,
    }),
  };
};

/** Where approval requests go: a Slack channel, and magic links by email; either may be absent. */
export interface ApprovalChannels {
  slack?: { transport: SlackTransport; channel: string; clock?: Clock };
  email?: {
    transport: EmailTransport;
    from: string;
    /** Where links point; a function, as the local server's address is known only once it listens. */
    publicBaseUrl: () => string;
    mint: LinkTokens['mint'];
  };
  /** Called with each magic link sent, so `aios dev` can print it. */
  onLink?: (approval: Approval, email: string, link: string) => void;
}

/**
 * The approval service every channel decides through (first decision wins): risk from the
 * connector descriptors, edits checked against the connector's schema, and its notifier.
 */
export function createApprovals(
  ports: Omit<ApprovalServiceDeps, 'riskOf' | 'validateParams' | 'notifier'> & { channels: ApprovalChannels },
) {
  const { channels, ...deps } = ports;
  const { slack, email } = channels;
  return createApprovalService({
    ...deps,
    riskOf,
    validateParams: paramsProblem,
    notifier: createApprovalNotifier({
      slack: slack && createSlackApprovalNotifier(slack),
      email: email && {
        notify: (approval, address) =>
          createEmailApprovalNotifier({ ...email, publicBaseUrl: email.publicBaseUrl() }).notify(
            approval,
            address,
          ),
      },
      onLink: channels.onLink,
    }),
  });
}

/**
 * The handoff inbox: model steps the model could not do, written by the operator (the API, the
 * CLI); the planner opens the items, the API completes them, recovery answers the ones a crash left.
 */
export const createHandoffs = (ports: HandoffServiceDeps) => createHandoffService(ports);

/** What a crash strands (a decided approval its run never heard of, a run never started), found and finished. */
export const createRecoveryService = (ports: Omit<RecoveryDeps, 'onError'>) =>
  createRecovery({
    ...ports,
    onError: (message, error, context) => logger.error(message, { ...context, error: error as Error }),
  });

/** The ports the triggers start runs through: the same run-start path as `POST /runs`. */
export type TriggerPorts = RunsServiceDeps;

/** Schedule fires (EventBridge Scheduler, the local scheduler, `aios schedules`): one run per scheduled time. */
export const createScheduleFiresService = (
  ports: TriggerPorts & Pick<ScheduleFiresDeps, 'apiUrl'> & { schedules: ScheduleStore },
) =>
  createScheduleFires({
    catalog: ports.catalog,
    runs: createRunsService(ports),
    schedules: ports.schedules,
    clock: ports.clock,
    apiUrl: ports.apiUrl,
  });

/** The target of every playbook schedule on AWS. */
export const createScheduleStart = (...args: Parameters<typeof createScheduleFiresService>) =>
  createScheduleStartHandler(createScheduleFiresService(...args));

/** Signed webhooks: one run per event id. */
export const createWebhookTriggerService = (
  ports: TriggerPorts & { events: WebhookEvents; secrets: WebhookSecrets },
): WebhookTrigger =>
  createWebhookTrigger({
    catalog: ports.catalog,
    runs: createRunsService(ports),
    events: ports.events,
    secrets: ports.secrets,
    clock: ports.clock,
  });
/** The playbook registry, validating against the actions the gateway's connectors describe. */
export const createPlaybooks = (ports: { store: PlaybookStore; clock: Clock }) =>
  createPlaybookRegistry({ ...ports, rules: { knownActions: new Set(Object.keys(ACTION_DESCRIPTORS)) } });
