/**
 * THE route table of aios: every HTTP route, declared once. The API Lambdas build their hono apps
 * from it, the CDK API construct creates its resources and methods from it, and the local server
 * serves it; test/infra/routes.test.ts proves the three agree. Adding a route is one row here plus
 * its handler, registered under the row's id in the owning function's route handlers.
 */

/**
 * Who may call a route.
 * - `operator`: IAM (SigV4) on AWS, the bearer token of .aios/api-token locally.
 * - `public-signed`: no gateway auth; the handler verifies a signature first (magic links, Slack).
 * - `webhook`: no gateway auth; a signed inbound hook (the local webhook sink is the outside
 *   service a playbook's webhook calls, so it checks nothing).
 */
export type AuthClass = 'operator' | 'public-signed' | 'webhook';

/** The function that serves a route on AWS; locally one server serves them all. */
export type RouteFunction = 'api' | 'approval-links' | 'slack-interactions' | 'local';

export type RouteMethod = 'GET' | 'POST';

export interface RouteSpec {
  readonly id: string;
  readonly method: RouteMethod;
  /** An API Gateway resource path: `/runs/{id}`. */
  readonly path: string;
  readonly auth: AuthClass;
  readonly fn: RouteFunction;
  readonly summary: string;
  /** Served by the local runtime only (on AWS the job runs elsewhere, or the route stands in for an outside service). */
  readonly localOnly?: boolean;
  /** Per-method throttling at API Gateway, tighter than the stage's: for the unauthenticated routes. */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
  /** API Gateway checks the body is a JSON object; the handler's zod schema owns the fields. */
  readonly jsonBody?: boolean;
  /** Query parameters API Gateway requires before the integration runs. */
  readonly requiredQuery?: readonly string[];
  /** Locally, how long the handler may take before the server answers 504 (default 29 s, API Gateway's limit). */
  readonly localTimeoutMs?: number;
}

// A person clicks a link or a Slack button; nobody scripts these, so they get tight limits.
const HUMAN_CLICKS = { rateLimit: 2, burstLimit: 10 } as const;
// Reindex and consolidation outlast API Gateway's 29 s: on AWS the memory maintenance function runs them.
const LONG_JOB_MS = 600_000;

export const ROUTES = [
  {
    id: 'startRun',
    method: 'POST',
    path: '/runs',
    auth: 'operator',
    fn: 'api',
    summary: 'start a run',
    jsonBody: true,
  },
  { id: 'listRuns', method: 'GET', path: '/runs', auth: 'operator', fn: 'api', summary: 'list runs' },
  {
    id: 'getRun',
    method: 'GET',
    path: '/runs/{id}',
    auth: 'operator',
    fn: 'api',
    summary: 'a run with its steps',
  },
  {
    id: 'runHistory',
    method: 'GET',
    path: '/runs/{id}/history',
    auth: 'operator',
    fn: 'api',
    summary: "a run's execution history",
  },
  {
    id: 'runAudit',
    method: 'GET',
    path: '/runs/{id}/audit',
    auth: 'operator',
    fn: 'api',
    summary: "a run's audit log",
  },
  {
    id: 'writeMemory',
    method: 'POST',
    path: '/memory',
    auth: 'operator',
    fn: 'api',
    summary: 'write a memory item',
    jsonBody: true,
  },
  {
    id: 'searchMemory',
    method: 'GET',
    path: '/memory/search',
    auth: 'operator',
    fn: 'api',
    summary: 'search memory',
    requiredQuery: ['q', 'namespace'],
  },
  {
    id: 'memoryHistory',
    method: 'GET',
    path: '/memory/{id}/history',
    auth: 'operator',
    fn: 'api',
    summary: "a memory item's versions",
  },
  {
    id: 'reindexMemory',
    method: 'POST',
    path: '/memory/reindex',
    auth: 'operator',
    fn: 'api',
    summary: 'rebuild the vector index from the log',
    localOnly: true,
    localTimeoutMs: LONG_JOB_MS,
  },
  {
    id: 'consolidateMemory',
    method: 'POST',
    path: '/memory/consolidate',
    auth: 'operator',
    fn: 'api',
    summary: 'consolidate working memory',
    localOnly: true,
    localTimeoutMs: LONG_JOB_MS,
  },
  {
    id: 'listDeadLetters',
    method: 'GET',
    path: '/dlq',
    auth: 'operator',
    fn: 'api',
    summary: "the gateway's dead letters",
  },
  {
    id: 'redriveDeadLetters',
    method: 'POST',
    path: '/dlq/redrive',
    auth: 'operator',
    fn: 'api',
    summary: 'move dead letters back to the action queue',
  },
  {
    id: 'listPlaybooks',
    method: 'GET',
    path: '/playbooks',
    auth: 'operator',
    fn: 'api',
    summary: 'the newest version of each playbook',
  },
  {
    id: 'getPlaybook',
    method: 'GET',
    path: '/playbooks/{name}',
    auth: 'operator',
    fn: 'api',
    summary: 'a playbook version (?version=, else the newest)',
  },
  {
    id: 'pushPlaybook',
    method: 'POST',
    path: '/playbooks',
    auth: 'operator',
    fn: 'api',
    summary: 'push a new playbook version (validated fully)',
    jsonBody: true,
  },
  {
    id: 'diffPlaybook',
    method: 'POST',
    path: '/playbooks/diff',
    auth: 'operator',
    fn: 'api',
    summary: 'what pushing a playbook file would change',
    jsonBody: true,
  },
  {
    id: 'listConnectors',
    method: 'GET',
    path: '/connectors',
    auth: 'operator',
    fn: 'api',
    summary: 'each action type with its limits and breaker',
  },
  {
    id: 'listApprovals',
    method: 'GET',
    path: '/approvals',
    auth: 'operator',
    fn: 'api',
    summary: 'the approval inbox',
  },
  {
    id: 'getApproval',
    method: 'GET',
    path: '/approvals/{id}',
    auth: 'operator',
    fn: 'api',
    summary: 'one approval',
  },
  {
    id: 'decideApproval',
    method: 'POST',
    path: '/approvals/{id}/decision',
    auth: 'operator',
    fn: 'api',
    summary: 'approve or reject',
  },
  {
    id: 'showApprovalLink',
    method: 'GET',
    path: '/approvals/{id}/link',
    auth: 'public-signed',
    fn: 'approval-links',
    summary: 'the magic link: shows, decides nothing',
    throttle: HUMAN_CLICKS,
  },
  {
    id: 'decideByApprovalLink',
    method: 'POST',
    path: '/approvals/{id}/link',
    auth: 'public-signed',
    fn: 'approval-links',
    summary: 'the magic link: uses the link once and decides',
    throttle: HUMAN_CLICKS,
  },
  {
    id: 'slackInteraction',
    method: 'POST',
    path: '/slack/interactions',
    auth: 'public-signed',
    fn: 'slack-interactions',
    summary: 'signed Slack button clicks and edits',
    throttle: HUMAN_CLICKS,
  },
  {
    id: 'localWebhookSink',
    method: 'POST',
    path: '/local/webhooks/{name}',
    auth: 'webhook',
    fn: 'local',
    summary: 'the stand-in for the outside services the sample playbooks call',
    localOnly: true,
  },
] as const satisfies readonly RouteSpec[];

export type Route = (typeof ROUTES)[number];
export type RouteId = Route['id'];
/** The ids of the routes one function serves. */
export type RouteIdOf<F extends RouteFunction> = Extract<Route, { fn: F }>['id'];

/** The routes one function serves (on AWS: without the local-only ones). */
export function routesOf(fn: RouteFunction, target: 'aws' | 'local' = 'aws'): readonly RouteSpec[] {
  return ROUTES.filter((route: RouteSpec) => route.fn === fn && (target === 'local' || !route.localOnly));
}

/** What API Gateway serves: every route that is not local-only. */
export const awsRoutes = (): readonly RouteSpec[] => ROUTES.filter((route: RouteSpec) => !route.localOnly);
