import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { toApiGatewayProxyEvent } from './api-gateway-event.ts';
import { tokensEqual } from './api-token.ts';
import { HttpRequestError, HttpServerConfigError } from './errors.ts';
import { createLocalContext } from './lambda-context.ts';
import { compileRoutes, type LocalRoute, matchRoute } from './routes.ts';

/** The subset of a Powertools `Logger` the server uses. */
export interface HttpLogger {
  info(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

export interface LocalHttpAuth {
  /** Every request must carry `Authorization: Bearer <token>` (see ensureApiToken). */
  token: string;
  /** Route templates served without the token, e.g. `/approvals/{id}` for signed approval links. */
  publicRoutes?: readonly string[];
}

export interface LocalHttpServerOptions {
  /** 0 picks a free port. */
  port: number;
  /** Default 127.0.0.1: the local API is for this machine only. */
  host?: string;
  routes: readonly LocalRoute[];
  auth: LocalHttpAuth;
  logger?: HttpLogger;
  /** Stage name in the event; default `local`. */
  stage?: string;
  /** Default handler timeout (API Gateway's integration limit is 29 s); a route may override it. */
  timeoutMs?: number;
}

export interface ServedRoute {
  method: string;
  path: string;
  public: boolean;
}

export interface LocalHttpServer {
  /** `http://host:port`, without a trailing slash. */
  readonly url: string;
  readonly port: number;
  /** What is served: each route's method and path template, and whether it goes without the token. */
  readonly routes: readonly ServedRoute[];
  /** Stops accepting, lets requests in progress finish, then closes every connection. */
  close(): Promise<void>;
}

/** API Gateway's default maximum payload is 10 MB; the local API takes 1 MiB, plenty for JSON commands. */
export const MAX_BODY_BYTES = 1_048_576;
const DEFAULT_TIMEOUT_MS = 29_000;

const consoleLogger: HttpLogger = {
  info: (message, attributes) => console.log(JSON.stringify({ level: 'INFO', message, ...attributes })),
  error: (message, attributes) => console.error(JSON.stringify({ level: 'ERROR', message, ...attributes })),
};

const functionNameOf = (route: LocalRoute) =>
  route.functionName ??
  `aios-api-${route.method}${route.path}`.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/-+$/, '');

function readBody(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        // Stop buffering but keep reading, so the client finishes sending and can read the 413.
        req.removeAllListeners('data');
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function tooLarge(): HttpRequestError {
  return new HttpRequestError(413, `The request body is larger than ${MAX_BODY_BYTES} bytes`);
}

function authenticate(req: IncomingMessage, token: string): void {
  const header = req.headers.authorization;
  const challenge = { 'WWW-Authenticate': 'Bearer realm="aios"' };
  if (!header) {
    throw new HttpRequestError(
      401,
      'Missing "Authorization: Bearer <token>" header; the token is in the api-token file of the aios data directory',
      challenge,
    );
  }
  const presented = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
  if (!presented) {
    throw new HttpRequestError(401, 'The Authorization header must be "Bearer <token>"', challenge);
  }
  if (!tokensEqual(token, presented)) {
    throw new HttpRequestError(401, 'The bearer token is not valid', {
      'WWW-Authenticate': 'Bearer realm="aios", error="invalid_token"',
    });
  }
}

function isProxyResult(value: unknown): value is APIGatewayProxyResult {
  if (typeof value !== 'object' || value === null) return false;
  const { statusCode, body } = value as Record<string, unknown>;
  return (
    Number.isInteger(statusCode) &&
    (statusCode as number) >= 100 &&
    (statusCode as number) <= 599 &&
    (body === undefined || body === null || typeof body === 'string')
  );
}

/** Merges `headers` and `multiValueHeaders` as API Gateway does: multi-value wins for a name in both. */
function responseHeaders(result: APIGatewayProxyResult): Record<string, string[]> {
  const merged: Record<string, string[]> = {};
  const seen = new Set<string>();
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) {
    merged[name] = values.map(String);
    seen.add(name.toLowerCase());
  }
  for (const [name, value] of Object.entries(result.headers ?? {})) {
    if (!seen.has(name.toLowerCase())) merged[name] = [String(value)];
  }
  return merged;
}

/** Serves API Gateway REST routes with their Lambda handlers on loopback, with bearer-token auth. */
export async function startLocalHttpServer(options: LocalHttpServerOptions): Promise<LocalHttpServer> {
  const templates = compileRoutes(options.routes);
  const logger = options.logger ?? consoleLogger;
  const stage = options.stage ?? 'local';
  const { token } = options.auth;
  if (typeof token !== 'string' || token.trim() === '') {
    throw new HttpServerConfigError('auth.token must be a non-empty string (see ensureApiToken)');
  }
  const publicRoutes = new Set(options.auth.publicRoutes ?? []);
  for (const path of publicRoutes) {
    if (!templates.some((template) => template.path === path)) {
      throw new HttpServerConfigError(`auth.publicRoutes names "${path}", which is not a route`);
    }
  }

  let closing = false;
  const inFlight = new Set<Promise<void>>();

  const sendJson = (
    res: ServerResponse,
    statusCode: number,
    body: unknown,
    requestId: string,
    headers: Record<string, string> = {},
  ) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(statusCode, {
      ...headers,
      'content-type': 'application/json',
      'x-amzn-RequestId': requestId,
      ...(closing ? { connection: 'close' } : {}),
    });
    res.end(JSON.stringify(body));
  };

  async function handle(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const receivedAt = Date.now();
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const rawPath = url.split('?', 1)[0] ?? '/';
    try {
      const match = matchRoute(templates, method, rawPath);
      if (!publicRoutes.has(match.template.path)) authenticate(req, token);
      const body = await readBody(req);
      const event = toApiGatewayProxyEvent(
        {
          method,
          url,
          rawHeaders: req.rawHeaders,
          body,
          sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
          httpVersion: req.httpVersion,
        },
        { resource: match.template.path, pathParameters: match.pathParameters, requestId, stage, receivedAt },
      );
      const timeoutMs = match.route.timeoutMs ?? options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      const context = createLocalContext(functionNameOf(match.route), timeoutMs);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      let result: unknown;
      try {
        result = await Promise.race([match.route.handler(event, context), timedOut]);
      } catch (error) {
        logger.error('Handler failed', { requestId, method, path: rawPath, error: errorFields(error) });
        sendJson(res, 500, { message: 'Internal server error' }, requestId);
        return;
      } finally {
        clearTimeout(timer);
      }
      if (result === 'timeout') {
        logger.error('Handler timed out', { requestId, method, path: rawPath, timeoutMs });
        sendJson(res, 504, { message: 'Endpoint request timed out' }, requestId);
        return;
      }
      if (!isProxyResult(result)) {
        logger.error('Handler returned a malformed proxy result', { requestId, method, path: rawPath });
        sendJson(res, 502, { message: 'Internal server error' }, requestId);
        return;
      }
      writeResult(res, result, requestId);
      logger.info('Request', { requestId, method, path: rawPath, statusCode: result.statusCode });
    } catch (error) {
      if (error instanceof HttpRequestError) {
        sendJson(res, error.statusCode, { message: error.message }, requestId, {
          ...error.headers,
          // An unread body would otherwise be parsed as the next request on this connection.
          ...(error.statusCode === 413 ? { connection: 'close' } : {}),
        });
        return;
      }
      logger.error('Request failed', { requestId, method, path: rawPath, error: errorFields(error) });
      sendJson(res, 500, { message: 'Internal server error' }, requestId);
    }
  }

  function writeResult(res: ServerResponse, result: APIGatewayProxyResult, requestId: string): void {
    const headers = responseHeaders(result);
    if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) {
      // API Gateway's default for a proxy response without one.
      headers['content-type'] = ['application/json'];
    }
    headers['x-amzn-RequestId'] = [requestId];
    if (closing) headers.connection = ['close'];
    const body = result.body ?? '';
    const payload = result.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
    res.writeHead(result.statusCode, headers);
    res.end(payload);
  }

  const server = createServer((req, res) => {
    const requestId = randomUUID();
    res.on('error', (error) => logger.error('Response failed', { requestId, error: errorFields(error) }));
    req.on('error', (error) =>
      logger.error('Request stream failed', { requestId, error: errorFields(error) }),
    );
    const done = handle(req, res, requestId)
      .catch((error) => {
        logger.error('Request failed', { requestId, error: errorFields(error) });
        if (!res.writableEnded) res.destroy();
      })
      .finally(() => inFlight.delete(done));
    inFlight.add(done);
  });
  // A malformed request line or header never reaches the handler; answer it and drop the connection.
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
  server.on('error', (error) => logger.error('HTTP server error', { error: errorFields(error) }));
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    routes: options.routes.map(({ method, path }) => ({ method, path, public: publicRoutes.has(path) })),
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
