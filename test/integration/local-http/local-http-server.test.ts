import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildRouteApp, type HttpRequest, type RouteHandler } from '../../../functions/api/http.ts';
import { ROUTES } from '../../../functions/api/routes.ts';
import { logger as powertoolsLogger } from '../../../functions/shared/powertools.ts';
import {
  HttpServerConfigError,
  type LocalHttpServer,
  localEdge,
  MAX_BODY_BYTES,
  startLocalHttpServer,
} from '../../../lib/local/http/index.ts';

const TOKEN = 'a'.repeat(64);
const auth = { authorization: `Bearer ${TOKEN}` };

const seen: HttpRequest[] = [];
const echo: RouteHandler = async (request) => {
  seen.push(request);
  return { statusCode: 200, body: JSON.stringify({ ok: true }) };
};
const logger = { error: vi.fn() };

/** The real table and the real local edge, each route answered by `echo` unless replaced here. */
function tableApp(overrides: Record<string, RouteHandler> = {}, timeouts: Record<string, number> = {}) {
  const handlers = Object.fromEntries(ROUTES.map((route) => [route.id, overrides[route.id] ?? echo]));
  const routes = ROUTES.map((route) =>
    timeouts[route.id] ? { ...route, localTimeoutMs: timeouts[route.id] } : route,
  );
  return buildRouteApp(routes, handlers, { before: localEdge(TOKEN, logger) });
}

let server: LocalHttpServer;

beforeAll(async () => {
  const app = tableApp(
    {
      listRuns: async () => {
        throw new Error('database password is hunter2');
      },
      listConnectors: () => new Promise(() => {}),
    },
    { listConnectors: 50 },
  );
  server = await startLocalHttpServer({ port: 0, host: '127.0.0.1', fetch: app.fetch, logger });
});
afterAll(async () => {
  await server.close();
});

/** A raw request, to control header casing, repeated headers and what is on the wire. */
function rawRequest(
  method: string,
  path: string,
  headers: Record<string, string | string[]>,
  body?: Buffer | string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${server.url}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the request a route handler sees', () => {
  it('carries the path parameters, the query, every value of a repeated header and the raw body', async () => {
    const res = await rawRequest(
      'POST',
      '/approvals/apr%2D1/decision?a=1&a=2&b=x%20y',
      { ...auth, 'X-Custom': ['one', 'two'], 'content-type': 'application/json' },
      '{"decision":"approve"}',
    );
    expect(res.status).toBe(200);
    const request = seen.at(-1) as HttpRequest;
    expect(request.method).toBe('POST');
    expect({ ...request.params }).toEqual({ id: 'apr-1' });
    expect({ ...request.query }).toEqual({ a: '2', b: 'x y' });
    expect(request.headerValues('x-custom')).toEqual(['one', 'two']);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.body.toString('utf8')).toBe('{"decision":"approve"}');
  });

  it('keeps query and header names such as __proto__, constructor and toString as plain names', async () => {
    const res = await rawRequest('GET', '/runs/r1?__proto__=x&constructor=y&toString=z', {
      ...auth,
      constructor: 'c',
      toString: 't',
    });
    expect(res.status).toBe(200);
    const request = seen.at(-1) as HttpRequest;
    expect(Object.getPrototypeOf(request.query)).toBeNull();
    expect(Object.getPrototypeOf(request.headers)).toBeNull();
    expect({ ...request.query }).toEqual({ ['__proto__']: 'x', constructor: 'y', toString: 'z' });
    expect(request.headers.constructor).toBe('c');
    expect(request.headers.tostring).toBe('t');
  });

  it('gives an empty body when there is none', async () => {
    await fetch(`${server.url}/runs/r1`, { headers: auth });
    expect((seen.at(-1) as HttpRequest).body.length).toBe(0);
  });
});

describe('the response', () => {
  it('answers 404 for an unknown path and 405 with Allow for a known path with another method', async () => {
    const missing = await fetch(`${server.url}/nothing/here`, { headers: auth });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ message: 'No route for GET /nothing/here' });

    const wrong = await fetch(`${server.url}/approvals/ap-1/link`, { method: 'PUT', headers: auth });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, POST');
    expect(((await wrong.json()) as { message: string }).message).toMatch(/PUT is not allowed/);
  });

  it('answers 413 for a body over 1 MiB, declared or streamed', async () => {
    const declared = await fetch(`${server.url}/runs`, {
      method: 'POST',
      headers: auth,
      body: new Uint8Array(MAX_BODY_BYTES + 1),
    });
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as { message: string }).message).toMatch(/larger than 1048576 bytes/);

    const chunk = new Uint8Array(256 * 1024);
    const streamed = await fetch(`${server.url}/runs`, {
      method: 'POST',
      headers: auth,
      duplex: 'half',
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < 5; i += 1) controller.enqueue(chunk);
          controller.close();
        },
      }),
    } as RequestInit);
    expect(streamed.status).toBe(413);

    const atLimit = await fetch(`${server.url}/runs`, {
      method: 'POST',
      headers: auth,
      body: new Uint8Array(MAX_BODY_BYTES),
    });
    expect(atLimit.status).toBe(200);
  });

  it('answers 500 with a generic body when the handler throws, and logs the real error', async () => {
    const logged = vi.spyOn(powertoolsLogger, 'error').mockImplementation(() => {});
    const res = await fetch(`${server.url}/runs`, { headers: auth });
    const text = await res.text();
    const calls = logged.mock.calls;
    logged.mockRestore();

    expect(res.status).toBe(500);
    expect(JSON.parse(text)).toEqual({ message: 'internal error; the request id is in the server log' });
    expect(text).not.toContain('hunter2');
    expect(calls).toContainEqual([
      'request failed',
      expect.objectContaining({
        error: expect.objectContaining({ message: 'database password is hunter2' }),
      }),
    ]);
    expect((await fetch(`${server.url}/runs/r1`, { headers: auth })).status).toBe(200);
  });

  it('answers 504 when the handler outlasts its timeout', async () => {
    expect((await fetch(`${server.url}/connectors`, { headers: auth })).status).toBe(504);
  });

  it('survives a malformed request', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(server.port, '127.0.0.1', () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
      let data = '';
      socket.on('data', (chunk) => {
        data += chunk.toString();
      });
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1.1 400/);
    expect((await fetch(`${server.url}/runs/r1`, { headers: auth })).status).toBe(200);
  });

  it('answers 400, not 500, to a request target the adapter refuses (a backslash in the path)', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(server.port, '127.0.0.1', () =>
        socket.write('PATCH /memory/a\\b HTTP/1.1\r\nHost: Odd-Host\r\nConnection: close\r\n\r\n'),
      );
      let data = '';
      socket.on('data', (chunk) => {
        data += chunk.toString();
      });
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1.1 400/);
    expect(reply).toContain('Backslash in request path');
  });
});

describe('bearer-token auth', () => {
  it('answers 401 when the token is missing or wrong', async () => {
    const missing = await fetch(`${server.url}/runs/r1`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(((await missing.json()) as { message: string }).message).toMatch(
      /Missing "Authorization: Bearer <token>" header/,
    );

    const wrong = await fetch(`${server.url}/runs/r1`, {
      headers: { authorization: `Bearer ${'b'.repeat(64)}` },
    });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { message: string }).message).toBe('The bearer token is not valid');

    const notBearer = await fetch(`${server.url}/runs/r1`, { headers: { authorization: `Basic ${TOKEN}` } });
    expect(notBearer.status).toBe(401);
  });

  it('serves the public routes of the table without a token', async () => {
    const res = await fetch(`${server.url}/approvals/ap-1/link?token=x`);
    expect(res.status).toBe(200);
    expect({ ...seen.at(-1)?.params }).toEqual({ id: 'ap-1' });
    expect((await fetch(`${server.url}/slack/interactions`, { method: 'POST' })).status).toBe(200);
  });
});

describe('configuration and shutdown', () => {
  it('refuses a route without a handler, a handler without a route, and an empty token at start-up', () => {
    const handlers = Object.fromEntries(ROUTES.map((route) => [route.id, echo]));
    const { startRun: _, ...withoutOne } = handlers;
    expect(() => buildRouteApp(ROUTES, withoutOne)).toThrow(/startRun .* has no handler/);
    expect(() => buildRouteApp(ROUTES, { ...handlers, deleteEverything: echo })).toThrow(
      /deleteEverything has no row/,
    );
    expect(() => localEdge(' ', logger)).toThrow(HttpServerConfigError);
  });

  it('close() ends keep-alive connections and stops accepting', async () => {
    const own = await startLocalHttpServer({ port: 0, fetch: tableApp().fetch, logger });
    const socketClosed = new Promise<void>((resolve, reject) => {
      const socket = connect(own.port, '127.0.0.1', () =>
        socket.write(
          `GET /runs/r1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nConnection: keep-alive\r\n\r\n`,
        ),
      );
      socket.once('data', () => {
        void own.close();
      });
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });

    await socketClosed;
    await expect(fetch(`${own.url}/runs/r1`)).rejects.toThrow();
  });
});
