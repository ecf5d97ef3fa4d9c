/*
 * The types of the route table (routes.ts) and the console's rows (console-routes.ts), apart so
 * that a console function loads its own rows and not the whole table.
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

/**
 * The function that serves a route on AWS; locally one server serves them all. The operator's API
 * and the console are each split by what their routes load (issue 15: every bundle within 300 KiB):
 * `api-decisions` decides approvals, handoffs and reviews and cancels, retries or reruns runs (the
 * approval service and its channels), as the console's `console-inbox` and `console-run-control`
 * do; `api-registry` pushes playbooks and steers schedules (the full playbook check, the cron
 * parser, EventBridge Scheduler); `*-memory` search memory, and replay runs (OpenSearch, Bedrock).
 * `api` and `console` keep the rest: runs, metrics, dead letters, connectors (and the console's
 * way in).
 */
export type RouteFunction =
  | ApiFunction
  | ConsoleFunction
  | 'approval-links'
  | 'slack-interactions'
  | 'hooks'
  | 'local';
/** The functions serving the operator's API (IAM on AWS, the bearer token locally). */
export const API_FUNCTIONS = ['api', 'api-decisions', 'api-registry', 'api-memory'] as const;
export type ApiFunction = (typeof API_FUNCTIONS)[number];
/** The functions serving the console's pages (Cognito on AWS, the session cookie locally). */
export const CONSOLE_FUNCTIONS = [
  'console',
  'console-inbox',
  'console-run-control',
  'console-memory',
] as const;
export type ConsoleFunction = (typeof CONSOLE_FUNCTIONS)[number];

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
export const HUMAN_CLICKS = { rateLimit: 2, burstLimit: 10 } as const;
