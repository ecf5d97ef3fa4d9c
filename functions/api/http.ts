import type { Context } from 'hono';
import { Hono, type MiddlewareHandler } from 'hono';
import { logger } from '../shared/powertools.ts';
import { ROUTES, type RouteFunction, type RouteIdOf, type RouteSpec } from './routes.ts';

/**
 * One request as every route handler sees it, on Lambda (hono/aws-lambda) and on the local server
 * (@hono/node-server) alike. The maps have no prototype, so a name such as `__proto__`,
 * `constructor` or `toString` is just a key.
 */
export interface HttpRequest {
  readonly method: string;
  readonly params: Readonly<Record<string, string>>;
  /** Query parameters; a name sent twice keeps its last value, as API Gateway's `queryStringParameters`. */
  readonly query: Readonly<Record<string, string>>;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  /** Every value sent under one header name, for headers that must be sent once. */
  headerValues(name: string): string[];
  /** The raw body; empty when there is none. */
  readonly body: Buffer;
  readonly requestId: string;
}

export interface HttpResult {
  statusCode: number;
  headers?: Record<string, string>;
  body: string;
}

export type RouteHandler = (request: HttpRequest) => Promise<HttpResult>;
/** A function's handlers, one per route of the table it serves (see routes.ts). */
export type RouteHandlers<F extends RouteFunction> = Record<RouteIdOf<F>, RouteHandler>;

export const json = (statusCode: number, body: unknown): HttpResult => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

function nullPrototype(entries: Iterable<[string, string]>): Record<string, string> {
  const record = Object.create(null) as Record<string, string>;
  for (const [key, value] of entries) record[key] = value;
  return record;
}

/** What the runtime adapter passes as hono's env: the Lambda event, or Node's IncomingMessage. */
interface RuntimeBindings {
  event?: {
    /** The event's headers as API Gateway sent them (see functions/shared/http-lambda.ts). */
    rawHeaders?: {
      headers?: Record<string, string | undefined> | null;
      multiValueHeaders?: Record<string, string[] | undefined> | null;
    };
    requestContext?: { requestId?: string };
  };
  incoming?: { rawHeaders: readonly string[] };
}

/**
 * Every value of a header as the client sent it, from the runtime's own request: a `Headers`
 * object would join repeated values with commas, and hono/aws-lambda percent-encodes non-ASCII.
 */
function rawHeaderValues(c: Context, name: string): string[] {
  const lower = name.toLowerCase();
  const env = (c.env ?? {}) as RuntimeBindings;
  const event = env.event?.rawHeaders;
  if (event) {
    const multi = Object.entries(event.multiValueHeaders ?? {})
      .filter(([key]) => key.toLowerCase() === lower)
      .flatMap(([, values]) => values ?? []);
    if (multi.length > 0) return multi;
    return Object.entries(event.headers ?? {})
      .filter(([key]) => key.toLowerCase() === lower)
      .flatMap(([, value]) => (value === undefined ? [] : [value]));
  }
  const raw = env.incoming?.rawHeaders;
  if (raw) {
    const values: string[] = [];
    for (let i = 0; i + 1 < raw.length; i += 2)
      if ((raw[i] as string).toLowerCase() === lower) values.push(raw[i + 1] as string);
    return values;
  }
  const single = c.req.header(lower);
  return single === undefined ? [] : [single];
}

async function toHttpRequest(c: Context): Promise<HttpRequest> {
  const url = new URL(c.req.url);
  const env = (c.env ?? {}) as RuntimeBindings;
  return {
    method: c.req.method,
    params: nullPrototype(Object.entries(c.req.param() as Record<string, string>)),
    query: nullPrototype(url.searchParams),
    headers: nullPrototype(c.req.raw.headers),
    headerValues: (name) => rawHeaderValues(c, name),
    body: Buffer.from(await c.req.arrayBuffer()),
    requestId: env.event?.requestContext?.requestId ?? crypto.randomUUID(),
  };
}

const toResponse = (result: HttpResult) =>
  new Response(result.body === '' ? null : result.body, {
    status: result.statusCode,
    headers: { 'content-type': 'application/json', ...result.headers },
  });

/** `/runs/{id}` (API Gateway) as `/runs/:id` (hono). */
const honoPath = (path: string) => path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');
const templateRegExp = (path: string) =>
  new RegExp(`^${path.replace(/\{[A-Za-z0-9_]+\}/g, '[^/]+').replace(/\//g, '\\/')}\\/?$`);

export interface RouteAppOptions {
  /** Middleware run before a route's handler (the local server's bearer auth, body limit, timeout). */
  before?: (route: RouteSpec) => MiddlewareHandler[];
}

/**
 * A hono app serving `routes` with `handlers`, one per route id: refuses at build time a route
 * without a handler or a handler that is no row of the table (a local-only route's handler is
 * simply not served on AWS). Unknown paths get a 404, a known path with
 * another method a 405 naming the allowed ones, and a thrown error a generic 500 (logged).
 */
export function buildRouteApp(
  routes: readonly RouteSpec[],
  handlers: Readonly<Record<string, RouteHandler>>,
  options: RouteAppOptions = {},
): Hono {
  const ids = new Set(ROUTES.map((route) => route.id as string));
  const orphan = Object.keys(handlers).find((id) => !ids.has(id));
  if (orphan) throw new Error(`route handler ${orphan} has no row in the route table`);
  // Trailing slashes are ignored, as API Gateway ignores them.
  const app = new Hono({ strict: false });
  for (const route of routes) {
    const handler = handlers[route.id];
    if (!handler) throw new Error(`route ${route.id} (${route.method} ${route.path}) has no handler`);
    const serve: MiddlewareHandler = async (c) => toResponse(await handler(await toHttpRequest(c)));
    const chain = [...(options.before?.(route) ?? []), serve] as [MiddlewareHandler];
    app.on(route.method, honoPath(route.path), ...chain);
  }
  const templates = routes.map((route) => ({ route, pattern: templateRegExp(route.path) }));
  app.notFound((c) => {
    const allowed = templates
      .filter(({ pattern }) => pattern.test(c.req.path))
      .map(({ route }) => route.method);
    if (allowed.length === 0) return c.json({ message: `No route for ${c.req.method} ${c.req.path}` }, 404);
    const allow = [...new Set(allowed)].join(', ');
    c.header('allow', allow);
    return c.json({ message: `method ${c.req.method} is not allowed; allowed: ${allow}` }, 405);
  });
  app.onError((error, c) => {
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500)
      return c.json({ message: error.message }, status as 400);
    if (status === 504) return c.json({ message: 'Endpoint request timed out' }, 504);
    // A 5xx says nothing about internals; the log has the real error.
    logger.error('request failed', { method: c.req.method, path: c.req.path, error });
    return c.json({ message: 'internal error; the request id is in the server log' }, 500);
  });
  return app;
}
