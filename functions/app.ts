/**
 * The one composition module of aios: every handler is built here from the ports it needs.
 * AWS entry points (functions/<name>/lambda.ts) call one factory each with AWS adapters; the
 * local runtime calls them with the local adapters and stand-ins. Each factory takes only what
 * its handler uses, so a Lambda bundle holds only that handler's code.
 */
import type { Hono } from 'hono';
import { type ApiRoutesDeps, createApiRoutes } from './api/api-routes.ts';
import { buildRouteApp, type RouteAppOptions, type RouteHandler, type RouteHandlers } from './api/http.ts';
import type { MemoryApiDeps } from './api/memory-routes.ts';
import {
  API_FUNCTIONS,
  type ApiFunction,
  CONSOLE_FUNCTIONS,
  ROUTES,
  type RouteIdOf,
  type RouteSpec,
  routesOf,
} from './api/routes.ts';
import { createApprovalHandler } from './approvals/approval-handler.ts';
import { type ApprovalLinkRoutesDeps, createApprovalLinkRoutes } from './approvals/email/link-handler.ts';
import type { LinkTokens } from './approvals/email/link-token.ts';
import { createLinkTokens, type LinkTokenUses } from './approvals/email/link-token.ts';
import { createEmailApprovalNotifier } from './approvals/email/notifier.ts';
import { createApprovalNotifier } from './approvals/notifier.ts';
import {
  createSlackInteractionRoutes,
  type SlackInteractionsDeps,
  slackInteractionClient,
} from './approvals/slack/interactions.ts';
import { createSlackApprovalNotifier } from './approvals/slack/notifier.ts';
import { ACTION_DESCRIPTORS, describeAction } from './connectors/descriptors.ts';
import { emailSendConnector } from './connectors/email-send.ts';
import type { CredentialLookup } from './connectors/http-credential.ts';
import { httpRequestConnector } from './connectors/http-request.ts';
import { paramsProblem } from './connectors/param-schemas.ts';
import { slackDeleteConnector, slackPostConnector } from './connectors/slack-post.ts';
import { stateRevertConnector } from './connectors/state-revert.ts';
import { stateUpsertConnector } from './connectors/state-upsert.ts';
import { connectorStatuses } from './connectors/status.ts';
import { type ConsoleAuthOptions, createConsoleAuth } from './console/auth.ts';
import { type ConsoleDeps, createConsoleApp } from './console/console-app.tsx';
import { createHandoffService, type HandoffServiceDeps } from './core/agents/handoff-service.ts';
import type { Approval, Approvals } from './core/approvals/approval.ts';
import { createDecisionLog, type DecisionLogDeps } from './core/approvals/decision-log.ts';
import type { ApprovalStore } from './core/approvals/service.ts';
import { type ApprovalServiceDeps, createApprovalService } from './core/approvals/service.ts';
import { createHmacGrantSigner } from './core/capability.ts';
import { type ConnectorCatalogue, catalogueOf } from './core/connector.ts';
import type { ExecutorDeps } from './core/executor.ts';
import { createMetricsService } from './core/metrics/metrics-service.ts';
import type { MonitorDeps } from './core/monitor.ts';
import { type AlertMarks, createOperatorAlerts } from './core/operator-alerts.ts';
import { createPlaybookReader } from './core/playbooks/reader.ts';
import { createPlaybookRegistry } from './core/playbooks/registry.ts';
import { seedRegistry } from './core/playbooks/seed.ts';
import type { EmailTransport } from './core/ports/email-transport.ts';
import type { SlackTransport } from './core/ports/slack-transport.ts';
import type { ScheduleStore, WebhookEvents, WebhookSecrets } from './core/ports/triggers.ts';
import type {
  CircuitBreaker,
  Clock,
  DeadLetters,
  HandoffStore,
  ModelPort,
  Orchestrator,
  OrchestratorCallbacks,
  PlaybookSchedules,
  PlaybookStore,
  RateLimiter,
  StateStore,
  WorkflowCatalog,
} from './core/ports.ts';
import { createRecovery, type RecoveryDeps } from './core/recovery.ts';
import { createReplay, type ReplayDeps } from './core/replay/replay.ts';
import type { ReplayStore } from './core/replay/schemas.ts';
import type { RunStartClaims } from './core/run-start-claims.ts';
import { createRunsService, type RunsServiceDeps } from './core/runs-service.ts';
import type { OperatorPolicy } from './core/schemas.ts';
import type { TaskWaits } from './core/stranded-actions.ts';
import { createScheduleFires, type ScheduleFiresDeps } from './core/triggers/schedule-fires.ts';
import { createWebhookTrigger, type WebhookTrigger } from './core/triggers/webhook-trigger.ts';
import type { TrustStore } from './core/trust/ports.ts';
import { createTrustService, type TrustService, type TrustServiceDeps } from './core/trust/trust-service.ts';
import { createExecutorHandler } from './executor/executor-handler.ts';
import { createGatewayHandler, type GatewayHandlerDeps } from './gateway/gateway-handler.ts';
import { createHookRoutes } from './hooks/hook-routes.ts';
import { createMonitorHandler } from './monitor/monitor-handler.ts';
import { operatorChannel } from './notifications/operator-channel.ts';
import { createPlannerHandler, type PlannerHandlerDeps } from './planner/planner-handler.ts';
import {
  createRunRecorderHandler,
  type RunRecorderHandlerDeps,
} from './run-recorder/run-recorder-handler.ts';
import { createScheduleStartHandler } from './schedules/schedule-start.ts';
import { logger } from './shared/powertools.ts';
import { humanOverrideMetric } from './shared/workflow-metrics.ts';

/**
 * Workflow metrics and cost per run, read from the runs' own records (journal, audit, approvals,
 * execution history): no second source of truth. Without an approval store no step counts as overridden.
 */
export const createMetrics = (
  ports: Pick<ApiRoutesDeps, 'store' | 'orchestrator' | 'catalog' | 'clock'> & {
    /** A run's approvals, read for its overrides and cost; nothing is decided. */
    approvals?: Pick<Approvals, 'get'>;
  },
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

/** The operator's API, every route (locally, and in tests): runs, approvals inbox, dead letters, connectors, memory, metrics. */
export const createApiApp = (deps: ApiRoutesDeps): Hono =>
  buildRouteApp(
    API_FUNCTIONS.flatMap((fn) => routesOf(fn)),
    createApiHandlers(deps),
  );

/**
 * One of the API's functions on AWS (IAM): its own routes (`fns`), built with only the services
 * those routes use; the others answer 404 "not configured", unreached. The metrics service too is
 * only what `deps` gives, so the functions that serve no metrics route do not load it.
 */
export const createApiFunctionApp = (fns: readonly ApiFunction[], deps: ApiRoutesDeps): Hono =>
  buildRouteApp(
    fns.flatMap((fn) => routesOf(fn)),
    createApiRoutes(deps),
  );

/** The email magic links (public; the signed token is the credential). */
export const createApprovalLinksApp = (deps: ApprovalLinkRoutesDeps): Hono =>
  buildRouteApp(routesOf('approval-links'), createApprovalLinkRoutes(deps));

/** Slack's interactivity endpoint (public; every request's signature is checked first). */
export const createSlackInteractionsApp = (deps: SlackInteractionsDeps): Hono =>
  buildRouteApp(routesOf('slack-interactions'), createSlackInteractionRoutes(deps));

/** Inbound webhooks (public; each event's signature is checked before its body is read). */
export const createHooksApp = (hooks: WebhookTrigger): Hono =>
  buildRouteApp(routesOf('hooks'), createHookRoutes({ hooks }));

/** Every route handler of every function, by route id: what the local server serves in one app. */
export type AllRouteHandlers = RouteHandlers<ApiFunction> &
  RouteHandlers<'approval-links'> &
  RouteHandlers<'slack-interactions'> &
  RouteHandlers<'hooks'> &
  Record<RouteIdOf<'local'>, RouteHandler>;

/**
 * The whole table in one app (the local server), with the stand-in's own checks before each route;
 * the console's rows are served by the console app (its session auth), which serves exactly those.
 */
export function createLocalHttpApp(
  handlers: AllRouteHandlers,
  options: RouteAppOptions & { console?: Hono },
): Hono {
  const app = buildRouteApp(
    ROUTES.filter((route: RouteSpec) => !(CONSOLE_FUNCTIONS as readonly string[]).includes(route.fn)),
    handlers,
    options,
  );
  if (options.console) app.route('/', options.console);
  return app;
}

/** The operator console (locally, and the console function on AWS): its pages over the same services as the API. */
export const createOperatorConsoleApp = (
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
    'store' | 'model' | 'catalog' | 'clock' | 'memory' | 'handoffs' | 'retry' | 'callTimeoutMs' | 'alerts'
  >,
) => createPlannerHandler({ ...ports, onAlertError: logAlertError });

const logAlertError = (error: unknown, context: { runId: string; stepIndex: number }) =>
  logger.error('could not tell the operator of a handoff; it waits in the inbox', {
    ...context,
    error: error as Error,
  });

export const createExecutor = (
  ports: Pick<
    ExecutorDeps,
    'store' | 'catalog' | 'clock' | 'operatorPolicy' | 'signer' | 'decisions' | 'memory'
  >,
) => createExecutorHandler({ ...ports, riskOf, compensationOf, validateParams: paramsProblem });

export const createMonitor = (ports: Pick<MonitorDeps, 'store' | 'clock'>) => createMonitorHandler(ports);

export const createRunRecorder = (
  ports: Pick<
    RunRecorderHandlerDeps,
    'store' | 'clock' | 'memory' | 'alerts' | 'reviews' | 'catalog' | 'decisions'
  >,
) => createRunRecorderHandler(ports);

/** Replays of past runs with effects off, deciding with the same risks and parameter checks as the executor. */
export const createReplayService = (ports: Omit<ReplayDeps, 'riskOf' | 'validateParams'>) =>
  createReplay({ ...ports, riskOf, validateParams: paramsProblem });

/**
 * The appender of settled approvals' audit and journal entries and judgements, for the functions
 * that log what the public link and Slack endpoints decided (decision-log.ts).
 */
export const createDecisions = (
  ports: Pick<DecisionLogDeps, 'approvals' | 'store' | 'clock'> & {
    trust: Pick<TrustService, 'fromApproval'>;
  },
) => createDecisionLog({ ...ports, onDecided: (approval) => ports.trust.fromApproval(approval) });

/**
 * What the public link and Slack endpoints decide through: no run item is theirs to read or write
 * (on AWS their roles reach approval and link items only), so the settlement is logged by the
 * next appender; locally a store that refuses every call holds them to the same.
 */
export const createPublicApprovals = (
  ports: Omit<Parameters<typeof createApprovals>[0], 'store' | 'onDecided' | 'appendsRunLog'>,
) => createApprovals({ ...ports, store: runItemsRefused, appendsRunLog: false });

const runItemsRefused = new Proxy({} as StateStore, {
  get: (_, method) => () =>
    Promise.reject(
      new Error(`the public approval endpoints may not touch run items (StateStore.${String(method)})`),
    ),
});

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
 * CLI); the planner opens the items (telling the operator through `alerts`, once per step), the
 * API completes them, recovery answers the ones a crash left.
 */
export function createHandoffs(ports: Omit<HandoffServiceDeps, 'onAlertError'>) {
  const service = createHandoffService({ ...ports, onAlertError: logAlertError });
  return {
    ...service,
    // Whichever door it came through (API, console, CLI): the operator wrote what the model could not.
    async complete(...args: Parameters<typeof service.complete>) {
      const completed = await service.complete(...args);
      humanOverrideMetric(completed.workflow);
      return completed;
    },
  };
}

/** What a crash strands (a decided approval its run never heard of, a run never started), found and finished. */
export function createRecoveryService(ports: Omit<RecoveryDeps, 'onError'>) {
  const recovery = createRecovery({
    ...ports,
    onError: (message, error, context) => logger.error(message, { ...context, error: error as Error }),
  });
  return {
    async sweep(...args: Parameters<typeof recovery.sweep>) {
      const report = await recovery.sweep(...args);
      // Each one is an answer lost between the gateway and the orchestrator: worth a look.
      if (report.actionsAnswered)
        logger.warn('recovery told runs the outcome of actions whose answer never reached them', { report });
      return report;
    },
  };
}

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
export const createPlaybooks = (ports: {
  store: PlaybookStore;
  clock: Clock;
  schedules?: PlaybookSchedules;
}) => createPlaybookRegistry({ ...ports, rules: { knownActions: new Set(Object.keys(ACTION_DESCRIPTORS)) } });

/** The registry's read half (catalogue and policy), for the functions that never push a playbook. */
export const readPlaybooks = (ports: { store: PlaybookStore }) => createPlaybookReader(ports);

/**
 * Everything aios is made of, as one runtime provides it: the stores, the orchestrator, the
 * transports to the outside, the keys and the few settings that differ between runtimes. The
 * local runtime fills it with the embedded store and the stand-ins; every decision of how these
 * are put together is `createAios`'s.
 */
export interface AiosPorts {
  clock: Clock;
  store: StateStore;
  /** A fixed catalogue (tests); by default every handler reads the playbook registry. */
  catalog?: WorkflowCatalog;
  /** The policy the registry is seeded with when it has none; decisions read the registry's. */
  operatorPolicy: OperatorPolicy;
  /** Where a pushed playbook's schedule takes effect (the local scheduler); none: at the next start. */
  playbookSchedules?: PlaybookSchedules;
  model: ModelPort;
  memory: MemoryApiDeps;
  orchestrator: Orchestrator;
  callbacks: OrchestratorCallbacks;
  /** Which task a run's execution waits on: lets recovery tell a run an action's answer it never heard. */
  taskWaits?: TaskWaits;
  deadLetters: DeadLetters;
  /** Where the gateway hands back records it gave up untouched (see GatewayHandlerDeps). */
  releaseUntouched?: GatewayHandlerDeps['releaseUntouched'];
  stores: {
    approvals: ApprovalStore;
    handoffs: HandoffStore;
    alertMarks: AlertMarks;
    breaker: CircuitBreaker;
    limiter: RateLimiter;
    idempotency: GatewayHandlerDeps['persistenceStore'];
    claims: RunStartClaims;
    schedules: ScheduleStore;
    webhookEvents: WebhookEvents;
    playbooks: PlaybookStore;
    linkUses: LinkTokenUses;
    trust: TrustStore;
    replays: ReplayStore;
  };
  webhookSecrets: WebhookSecrets;
  keys: {
    grant: () => Promise<string>;
    link: () => Promise<string>;
    slackSigning: () => Promise<string>;
    consoleSession: string;
    apiToken: string;
  };
  /** How connectors reach the outside; a missing transport means no connector of its kind. */
  transports: ConnectorTransports & {
    email: { transport: EmailTransport; from: string };
    slack: SlackTransport;
  };
  /** Where approval requests are posted on Slack, and where a failed run is told. */
  channels: {
    approvalsSlack: string;
    alerts: { slackChannel: string } | { email: readonly string[] };
  };
  /** The server's address, known only once it listens (links in emails and alerts). */
  publicBaseUrl: () => string;
  /** The scheduler's clock, when schedules run on a clock of their own (tests drive it). */
  scheduleClock?: Clock;
  /** The HTTP edge of the runtime (auth and body limits before each route), and its local-only routes. */
  http: {
    before: RouteAppOptions['before'];
    localRoutes: Pick<RouteHandlers<'local'>, 'localWebhookSink'>;
    /** Who is logging in, for the console's slow-down. */
    clientKey: ConsoleAuthOptions['clientKey'];
  };
  settings?: {
    modelRetry?: PlannerHandlerDeps['retry'];
    limitsOf?: GatewayHandlerDeps['limitsOf'];
    onApprovalLink?: ApprovalChannels['onLink'];
    /** Fault injection (the soak): wraps the catalogue the gateway calls. */
    decorateConnectors?: (connectors: ConnectorCatalogue) => ConnectorCatalogue;
    /** Fault injection (tests): wraps how the API and the triggers start a run's execution. */
    decorateOrchestrator?: (orchestrator: Orchestrator) => Orchestrator;
  };
}

/**
 * aios, built from one set of ports: the functions the run machine invokes, the gateway, the
 * approval and handoff services, recovery, the triggers, and the one HTTP app that serves the
 * route table.
 */
export function createAios(ports: AiosPorts) {
  const { clock, store, operatorPolicy, callbacks, stores, keys, transports, settings = {} } = ports;
  // The registry: a push takes effect without a restart; each run reads the version it started on.
  const playbooks = createPlaybooks({ store: stores.playbooks, clock, schedules: ports.playbookSchedules });
  // A fixed catalogue (tests) still pins each run to the registry's newest policy version.
  const catalog: WorkflowCatalog = ports.catalog
    ? {
        ...ports.catalog,
        policyVersion: () => playbooks.catalog().policyVersion?.() ?? Promise.resolve(undefined),
      }
    : playbooks.catalog();
  const policy = playbooks.policy;
  // Shadow reviews and approvals are judgements of a workflow; promote/demote reads them.
  const trust = createTrust({ trust: stores.trust, store, catalog, clock });
  const decisions = createDecisions({ approvals: stores.approvals, store, clock, trust });
  const signer = createHmacGrantSigner(keys.grant);
  const alertsTo = ports.channels.alerts;
  // The operator is told once of a failed run and of each handed-off step.
  const alerts = createAlerts({
    marks: stores.alertMarks,
    clock,
    ...('slackChannel' in alertsTo
      ? { slack: { transport: transports.slack, channel: alertsTo.slackChannel } }
      : { email: { ...transports.email, to: alertsTo.email } }),
    runLinkBase: ports.publicBaseUrl,
  });
  const functions = {
    planner: createPlanner({
      store,
      model: ports.model,
      catalog,
      clock,
      memory: ports.memory.service,
      handoffs: stores.handoffs,
      retry: settings.modelRetry,
      alerts,
    }),
    executor: createExecutor({
      store,
      catalog,
      clock,
      operatorPolicy: policy,
      signer,
      decisions,
      memory: ports.memory.service,
    }),
    monitor: createMonitor({ store, clock }),
    runRecorder: createRunRecorder({
      store,
      catalog,
      clock,
      memory: ports.memory.service,
      reviews: trust,
      alerts,
      decisions,
    }),
  };
  const gateway = createGateway({
    store,
    transports,
    decorateConnectors: settings.decorateConnectors,
    callbacks,
    clock,
    signer,
    limiter: stores.limiter,
    breaker: stores.breaker,
    limitsOf: settings.limitsOf,
    persistenceStore: stores.idempotency,
    ...(ports.releaseUntouched ? { releaseUntouched: ports.releaseUntouched } : {}),
  });
  const linkTokens = createLinkTokens({ getKey: keys.link, clock });
  const approvalChannels: ApprovalChannels = {
    slack: { transport: transports.slack, channel: ports.channels.approvalsSlack, clock },
    email: { ...transports.email, publicBaseUrl: ports.publicBaseUrl, mint: linkTokens.mint },
    onLink: settings.onApprovalLink,
  };
  const approvals = createApprovals({
    approvals: stores.approvals,
    store,
    catalog,
    operatorPolicy: policy,
    onDecided: (approval) => trust.fromApproval(approval),
    callbacks,
    clock,
    channels: approvalChannels,
  });
  const publicApprovals = createPublicApprovals({
    approvals: stores.approvals,
    catalog,
    operatorPolicy: policy,
    callbacks,
    clock,
    channels: approvalChannels,
  });
  const handoffs = createHandoffs({
    handoffs: stores.handoffs,
    store,
    catalog,
    clock,
    callbacks,
    alerts,
  });
  const recovery = createRecoveryService({
    approvals,
    handoffs,
    runs: store,
    orchestrator: ports.orchestrator,
    clock,
    actions: ports.taskWaits ? { waits: ports.taskWaits, callbacks } : undefined,
  });
  // Schedules and webhooks start runs through the same path as POST /runs.
  const runPorts = {
    store,
    modes: trust,
    catalog,
    orchestrator: settings.decorateOrchestrator?.(ports.orchestrator) ?? ports.orchestrator,
    claims: stores.claims,
    clock,
  };
  const fires = createScheduleFiresService({
    ...runPorts,
    clock: ports.scheduleClock ?? clock,
    schedules: stores.schedules,
    apiUrl: ports.publicBaseUrl,
  });
  const hooks = createWebhookTriggerService({
    ...runPorts,
    events: stores.webhookEvents,
    secrets: ports.webhookSecrets,
  });
  const apiRoutes = createApiHandlers({
    ...runPorts,
    playbooks,
    schedules: fires,
    memory: ports.memory,
    deadLetters: ports.deadLetters,
    approvals,
    handoffs,
    connectors: () => connectorStatuses(stores.breaker, clock.now()),
    // A cancel stops the execution and withdraws what the run waits on.
    runControl: { approvals, handoffs: stores.handoffs },
    trust,
    replay: createReplayService({
      store,
      catalog,
      clock,
      operatorPolicy: policy,
      replays: stores.replays,
      model: ports.model,
      memory: ports.memory.service,
    }),
  });
  const consoleApp = createOperatorConsoleApp({
    store,
    catalog,
    orchestrator: ports.orchestrator,
    claims: stores.claims,
    clock,
    approvals,
    handoffs,
    runControl: { approvals, handoffs: stores.handoffs },
    reviews: trust,
    connectors: () => connectorStatuses(stores.breaker, clock.now()),
    deadLetters: ports.deadLetters,
    memory: ports.memory.service,
    auth: createConsoleAuth({
      apiToken: keys.apiToken,
      sessionSecret: keys.consoleSession,
      clock,
      clientKey: ports.http.clientKey,
    }),
  });
  const app = createLocalHttpApp(
    {
      ...apiRoutes,
      ...createApprovalLinkRoutes({
        approvals: publicApprovals,
        verify: linkTokens.verify,
        uses: stores.linkUses,
        clock,
      }),
      ...createSlackInteractionRoutes({
        approvals: publicApprovals,
        signingSecret: keys.slackSigning,
        slack: slackInteractionClient(transports.slack),
        clock,
        logger: {
          info: (message, attributes) => logger.info(message, attributes ?? {}),
          warn: (message, attributes) => logger.warn(message, attributes ?? {}),
          error: (message, attributes) => logger.error(message, attributes ?? {}),
        },
      }),
      ...createHookRoutes({ hooks }),
      ...ports.http.localRoutes,
    },
    { before: ports.http.before, console: consoleApp },
  );
  return {
    /** What the run machine's Task states invoke, by function. */
    functions: { ...functions, approvals: createApprovalHandler(approvals) },
    gateway,
    approvals,
    handoffs,
    recovery,
    playbooks,
    fires,
    hooks,
    app,
    catalog,
    /** Pushes the shipped playbooks (and policy) a push has not overtaken: at every local start. */
    seed: (shipped: readonly unknown[]) =>
      seedRegistry(playbooks, { playbooks: shipped, policy: operatorPolicy }),
  };
}

export type Aios = ReturnType<typeof createAios>;

/**
 * The catalogue every handler reads on both runtimes: the registry, so a push takes effect without a
 * deploy, while each run reads the version it was pinned to at its start.
 */
export const createRegistryCatalog = (ports: { store: PlaybookStore }) => readPlaybooks(ports).catalog();
