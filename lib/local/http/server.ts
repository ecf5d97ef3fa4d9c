import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener, RequestError } from '@hono/node-server';
import type { MiddlewareHandler } from 'hono';
import type { RouteSpec } from '../../../functions/api/routes.ts';
import { tokensEqual } from './api-token.ts';
import { HttpServerConfigError } from './errors.ts';

/** The subset of a Powertools `Logger` the server uses. */
export interface HttpLogger {
  error(message: string, attributes?: Record<string, unknown>): void;
}

export interface LocalHttpServer {
  /** `http://host:port`, without a trailing slash. */
  readonly url: string;
  readonly port: number;
  /** Stops accepting, lets requests in progress finish, then closes every connection. */
  close(): Promise<void>;
}

/** API Gateway's default maximum payload is 10 MB; the local API takes 1 MiB, plenty for JSON commands. */
export const MAX_BODY_BYTES = 1_048_576;
/** API Gateway's integration limit; a route of the table may set its own (see `localTimeoutMs`). */
const DEFAULT_TIMEOUT_MS = 29_000;

const json = (status: number, message: string, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ message }), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });

/** What IAM does on AWS for the operator's routes: `Authorization: Bearer <token>`, compared in constant time. */
export function bearerAuth(token: string): MiddlewareHandler {
  if (typeof token !== 'string' || token.trim() === '') {
    throw new HttpServerConfigError('the API token must be a non-empty string (see ensureApiToken)');
  }
  const challenge = { 'www-authenticate': 'Bearer realm="aios"' };
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (!header) {
      return json(
        401,
        'Missing "Authorization: Bearer <token>" header; the token is in the api-token file of the aios data directory',
        challenge,
      );
    }
    const presented = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    if (!presented) return json(401, 'The Authorization header must be "Bearer <token>"', challenge);
    if (!tokensEqual(token, presented)) {
      return json(401, 'The bearer token is not valid', {
        'www-authenticate': 'Bearer realm="aios", error="invalid_token"',
      });
    }
    await next();
  };
}

/**
 * Reads the body up to MAX_BODY_BYTES, declared or streamed, and keeps it where the handler's
 * `arrayBuffer()` finds it. (hono/body-limit re-wraps the request in a `Request`, which
 * @hono/node-server's request object does not survive while global objects stay Node's own.)
 */
function bodyLimit(): MiddlewareHandler {
  const tooLarge = () =>
    // An unread body would otherwise be parsed as the next request on this connection.
    json(413, `The request body is larger than ${MAX_BODY_BYTES} bytes`, { connection: 'close' });
  return async (c, next) => {
    const declared = Number(c.req.header('content-length'));
    if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) return tooLarge();
    const reader = c.req.raw.body?.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (let chunk = await reader?.read(); chunk && !chunk.done; chunk = await reader?.read()) {
      size += chunk.value.byteLength;
      if (size > MAX_BODY_BYTES) {
        await reader?.cancel();
        return tooLarge();
      }
      chunks.push(chunk.value);
    }
    const body = Buffer.concat(chunks);
    // hono's own cache of a read body (typed as the value, held as its promise).
    (c.req.bodyCache as Record<string, unknown>).arrayBuffer = Promise.resolve(
      body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength),
    );
    await next();
  };
}

/** What API Gateway answers for a handler that outlasts the integration timeout. */
function timeout(ms: number, logger: HttpLogger): MiddlewareHandler {
  return async (c, next) => {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), ms);
    });
    try {
      const outcome = await Promise.race([next().then(() => 'done' as const), timedOut]);
      if (outcome === 'timeout') {
        logger.error('Handler timed out', { method: c.req.method, path: c.req.path, timeoutMs: ms });
        c.res = json(504, 'Endpoint request timed out');
      }
    } finally {
      clearTimeout(timer);
    }
  };
}

/**
 * The checks API Gateway makes before a route's handler, as the local server makes them: the
 * operator's token on `operator` routes (the public ones verify their own signatures), a body
 * of at most MAX_BODY_BYTES (declared or streamed), and the route's timeout.
 */
export function localEdge(token: string, logger: HttpLogger): (route: RouteSpec) => MiddlewareHandler[] {
  const auth = bearerAuth(token);
  const limit = bodyLimit();
  return (route) => [
    ...(route.auth === 'operator' ? [auth] : []),
    limit,
    timeout(route.localTimeoutMs ?? DEFAULT_TIMEOUT_MS, logger),
  ];
}

/** Serves a hono app on loopback with Node's HTTP server (@hono/node-server's listener). */
export async function startLocalHttpServer(options: {
  /** 0 picks a free port. */
  port: number;
  /** Default 127.0.0.1: the local API is for this machine only. */
  host?: string;
  fetch: (request: Request, env: unknown) => Response | Promise<Response>;
  logger: HttpLogger;
}): Promise<LocalHttpServer> {
  let closing = false;
  const inFlight = new Set<Promise<void>>();
  // Global Request/Response stay Node's own: tests and the CLI share this process.
  const listener = getRequestListener(options.fetch, {
    overrideGlobalObjects: false,
    errorHandler: (error) => {
      // A request Node parsed but the adapter refuses (a backslash in the path, a bad Host) is the
      // client's mistake, as API Gateway's 400 for a malformed request says.
      if (error instanceof RequestError) return json(400, `bad request: ${error.message}`);
      options.logger.error('Request failed', { error: errorFields(error) });
      return json(500, 'Internal server error');
    },
  });
  const server = createServer((req, res) => {
    if (closing) res.setHeader('connection', 'close');
    res.on('error', (error) => options.logger.error('Response failed', { error: errorFields(error) }));
    req.on('error', (error) => options.logger.error('Request stream failed', { error: errorFields(error) }));
    const done = listener(req, res)
      .catch((error: unknown) => {
        options.logger.error('Request failed', { error: errorFields(error) });
        if (!res.writableEnded) res.destroy();
      })
      .finally(() => inFlight.delete(done));
    inFlight.add(done);
  });
  // A malformed request line or header never reaches the app; answer it and drop the connection.
  server.on('clientError', (error, socket) => {
    if (socket.writable && !(error as NodeJS.ErrnoException).code?.startsWith('ECONN')) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    } else {
      socket.destroy();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => options.logger.error('HTTP server error', { error: errorFields(error) }));
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    async close() {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await Promise.allSettled([...inFlight]);
      server.closeAllConnections();
      await closed;
    },
  };
}

function errorFields(error: unknown): Record<string, unknown> {
  return error instanceof Error
    ? { name: error.name, message: error.message, stack: error.stack }
    : { message: String(error) };
}
