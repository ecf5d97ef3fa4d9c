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
 * - `console`: the operator console's pages behind a session: locally the cookie the login page sets
 *   with the API token; on AWS the Cognito ID token cookie the sign-in callback sets, which the
 *   console authorizer (a Lambda REQUEST authorizer) verifies before the console function runs.
 * - `console-sign-in`: the console's way in, open to anyone: the login page (on AWS: a redirect to
 *   Cognito's hosted sign-in with PKCE) and the sign-in callback, which checks its own state and
 *   PKCE verifier; they show no data.
 */
export type AuthClass = 'operator' | 'public-signed' | 'webhook' | 'console' | 'console-sign-in';

/** The function that serves a route on AWS; locally one server serves them all. */
export type RouteFunction = 'api' | 'approval-links' | 'slack-interactions' | 'hooks' | 'console' | 'local';

export type RouteMethod = 'GET' | 'POST' | 'PUT';

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
// Inbound webhooks get the public routes' limits too; a sender retries a 429 later.
const WEBHOOK_DELIVERIES = { rateLimit: 2, burstLimit: 10 } as const;

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
    id: 'runCost',
    method: 'GET',
    path: '/runs/{id}/cost',
    auth: 'operator',
    fn: 'api',
    summary: 'what a run cost: model spend and AWS usage, priced',
  },
  {
    id: 'cancelRun',
    method: 'POST',
    path: '/runs/{id}/cancel',
    auth: 'operator',
    fn: 'api',
    summary: 'stop a queued or running run; what it waits on is withdrawn',
  },
  {
    id: 'retryRun',
    method: 'POST',
    path: '/runs/{id}/retry',
    auth: 'operator',
    fn: 'api',
    summary: 'go on with a failed run from its failed step, in a new execution',
  },
  {
    id: 'rerunRun',
    method: 'POST',
    path: '/runs/{id}/rerun',
    auth: 'operator',
    fn: 'api',
    summary: 'a new run with the same (or an edited) input, linked to this one',
  },
  {
    id: 'replayRun',
    method: 'POST',
    path: '/runs/{id}/replay',
    auth: 'operator',
    fn: 'api',
    summary: 'replay a run with effects off against its snapshot; the differences are stored with the run',
  },
  {
    id: 'listReplays',
    method: 'GET',
    path: '/runs/{id}/replays',
    auth: 'operator',
    fn: 'api',
    summary: "a run's replays, oldest first",
  },
  {
    id: 'listReviews',
    method: 'GET',
    path: '/reviews',
    auth: 'operator',
    fn: 'api',
    summary: "shadow runs' proposed actions waiting for the operator's verdict",
  },
  {
    id: 'judgeReview',
    method: 'POST',
    path: '/reviews/{id}',
    auth: 'operator',
    fn: 'api',
    summary: 'judge a proposed action: agree, change (with the change) or reject',
    jsonBody: true,
  },
  {
    id: 'workflowTrust',
    method: 'GET',
    path: '/workflows/{name}/trust',
    auth: 'operator',
    fn: 'api',
    summary: "a workflow's mode, agreement per version, relax suggestions and mode changes",
  },
  {
    id: 'promoteWorkflow',
    method: 'POST',
    path: '/workflows/{name}/promote',
    auth: 'operator',
    fn: 'api',
    summary: 'shadow → live, only when the measured agreement meets the promotion gate',
  },
  {
    id: 'demoteWorkflow',
    method: 'POST',
    path: '/workflows/{name}/demote',
    auth: 'operator',
    fn: 'api',
    summary: 'live → shadow, at once',
  },
  {
    id: 'getMetrics',
    method: 'GET',
    path: '/metrics',
    auth: 'operator',
    fn: 'api',
    summary: 'per workflow and version: runs, failures, overrides, durations, time saved, cost',
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
    id: 'getPolicy',
    method: 'GET',
    path: '/policy',
    auth: 'operator',
    fn: 'api',
    summary: 'the operator policy (?version=, else the newest) with who pushed it and why',
  },
  {
    id: 'putPolicy',
    method: 'PUT',
    path: '/policy',
    auth: 'operator',
    fn: 'api',
    summary: 'push a new operator policy version: { policy, reason } (validated fully)',
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
    id: 'listHandoffs',
    method: 'GET',
    path: '/handoffs',
    auth: 'operator',
    fn: 'api',
    summary: 'the handoff inbox',
  },
  {
    id: 'getHandoff',
    method: 'GET',
    path: '/handoffs/{id}',
    auth: 'operator',
    fn: 'api',
    summary: 'one handoff with what the model step gathered',
  },
  {
    id: 'completeHandoff',
    method: 'POST',
    path: '/handoffs/{id}/complete',
    auth: 'operator',
    fn: 'api',
    summary: "write a handed-off step's output; the run goes on",
    jsonBody: true,
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
    id: 'receiveWebhook',
    method: 'POST',
    path: '/hooks/{playbook}',
    auth: 'webhook',
    fn: 'hooks',
    summary: 'a signed event starts one run of a webhook playbook',
    throttle: WEBHOOK_DELIVERIES,
  },
  {
    id: 'listSchedules',
    method: 'GET',
    path: '/schedules',
    auth: 'operator',
    fn: 'api',
    summary: 'each scheduled playbook: next fires, last fire, paused',
  },
  {
    id: 'pauseSchedule',
    method: 'POST',
    path: '/schedules/{playbook}/pause',
    auth: 'operator',
    fn: 'api',
    summary: "pause a playbook's schedule",
  },
  {
    id: 'resumeSchedule',
    method: 'POST',
    path: '/schedules/{playbook}/resume',
    auth: 'operator',
    fn: 'api',
    summary: "resume a playbook's schedule",
  },
  {
    id: 'fireSchedule',
    method: 'POST',
    path: '/schedules/{playbook}/fire',
    auth: 'operator',
    fn: 'api',
    summary: 'start the run the schedule would start now',
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
  {
    id: 'consoleHome',
    method: 'GET',
    path: '/',
    auth: 'console-sign-in',
    fn: 'console',
    summary: 'the console: redirects to its runs page',
  },
  {
    id: 'consoleLoginForm',
    method: 'GET',
    path: '/console/login',
    auth: 'console-sign-in',
    fn: 'console',
    summary: "the console login page (on AWS: a redirect to Cognito's hosted sign-in)",
    throttle: HUMAN_CLICKS,
  },
  {
    id: 'consoleLogin',
    method: 'POST',
    path: '/console/login',
    auth: 'console-sign-in',
    fn: 'console',
    summary: 'takes the API token once and sets the session cookie (on AWS Cognito signs the operator in)',
    localOnly: true,
  },
  {
    id: 'consoleSignInCallback',
    method: 'GET',
    path: '/console/auth/callback',
    auth: 'console-sign-in',
    fn: 'console',
    summary:
      "Cognito's hosted sign-in comes back here: the code is exchanged (PKCE) and the session cookie set",
    throttle: HUMAN_CLICKS,
  },
  {
    id: 'consoleLogout',
    method: 'POST',
    path: '/console/logout',
    auth: 'console',
    fn: 'console',
    summary: 'ends the console session',
  },
  {
    id: 'consoleRuns',
    method: 'GET',
    path: '/console/runs',
    auth: 'console',
    fn: 'console',
    summary: 'the console: runs, filtered by workflow, status and time',
  },
  {
    id: 'consoleRun',
    method: 'GET',
    path: '/console/runs/{id}',
    auth: 'console',
    fn: 'console',
    summary: "the console: a run's timeline, cost and history",
  },
  {
    id: 'consoleInbox',
    method: 'GET',
    path: '/console/inbox',
    auth: 'console',
    fn: 'console',
    summary: 'the console: approvals and handoffs waiting',
  },
  {
    id: 'consoleDecide',
    method: 'POST',
    path: '/console/inbox/{id}',
    auth: 'console',
    fn: 'console',
    summary: 'the console: approve (with edits) or reject',
  },
  {
    id: 'consoleCompleteHandoff',
    method: 'POST',
    path: '/console/handoffs/{id}',
    auth: 'console',
    fn: 'console',
    summary: "the console: write a handed-off step's output; the run goes on",
  },
  {
    id: 'consoleRunControl',
    method: 'POST',
    path: '/console/runs/{id}/control',
    auth: 'console',
    fn: 'console',
    summary: 'the console: cancel, retry or rerun a run (the `action` field)',
  },
  {
    id: 'consoleJudgeReview',
    method: 'POST',
    path: '/console/reviews/{id}',
    auth: 'console',
    fn: 'console',
    summary: "the console: judge a shadow run's proposed action (agree, change, reject)",
  },
  {
    id: 'consoleWorkflows',
    method: 'GET',
    path: '/console/workflows',
    auth: 'console',
    fn: 'console',
    summary: 'the console: workflows with their metrics',
  },
  {
    id: 'consoleStartRun',
    method: 'POST',
    path: '/console/workflows/{name}/runs',
    auth: 'console',
    fn: 'console',
    summary: 'the console: start a run',
  },
  {
    id: 'consoleConnectors',
    method: 'GET',
    path: '/console/connectors',
    auth: 'console',
    fn: 'console',
    summary: "the console: connectors with their breakers, and the gateway's dead letters",
  },
  {
    id: 'consoleRedrive',
    method: 'POST',
    path: '/console/dead-letters/redrive',
    auth: 'console',
    fn: 'console',
    summary: 'the console: sends every dead letter back to the action queue',
  },
  {
    id: 'consoleMemory',
    method: 'GET',
    path: '/console/memory',
    auth: 'console',
    fn: 'console',
    summary: 'the console: memory search with scores and origins',
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
