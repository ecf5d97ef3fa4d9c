import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type ApiGatewayHandler,
  HttpServerConfigError,
  type LocalHttpServer,
  MAX_BODY_BYTES,
  startLocalHttpServer,
} from '../../../lib/local/http/index.ts';

const TOKEN = 'a'.repeat(64);
const auth = { authorization: `Bearer ${TOKEN}` };

const seen: { event: APIGatewayProxyEvent; context: Context; remainingAtCall: number }[] = [];
const echo: ApiGatewayHandler = async (event, context) => {
  seen.push({ event, context, remainingAtCall: context.getRemainingTimeInMillis() });
  return { statusCode: 200, body: JSON.stringify({ ok: true }) };
};
const logger = { info: vi.fn(), error: vi.fn() };
let server: LocalHttpServer;

beforeAll(async () => {
  server = await startLocalHttpServer({
    port: 0,
    host: '127.0.0.1',
    auth: { token: TOKEN, publicRoutes: ['/approvals/{id}'] },
    logger,
    routes: [
      { method: 'POST', path: '/runs', handler: echo },
      { method: 'GET', path: '/runs/{id}', handler: echo, functionName: 'aios-api', timeoutMs: 10_000 },
      { method: 'DELETE', path: '/runs/{id}', handler: echo },
      { method: 'POST', path: '/runs/{id}/steps/{step}', handler: echo },
      { method: 'GET', path: '/approvals/{id}', handler: echo },
      {
        method: 'GET',
        path: '/files',
        handler: async () => ({
          statusCode: 201,
          headers: { 'x-single': 'one', 'content-type': 'application/octet-stream' },
          multiValueHeaders: { 'set-cookie': ['a=1', 'b=2'] },
          body: Buffer.from([0, 255, 7]).toString('base64'),
          isBase64Encoded: true,
        }),
      },
      {
        method: 'GET',
        path: '/boom',
        handler: async () => {
          throw new Error('database password is hunter2');
        },
      },
      {
        method: 'GET',
        path: '/slow',
        timeoutMs: 50,
        handler: () => new Promise<APIGatewayProxyResult>(() => {}),
      },
      { method: 'GET', path: '/malformed', handler: async () => ({ body: 'no status' }) as never },
    ],
  });
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
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${server.url}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the APIGatewayProxyEvent', () => {
  it('carries the route, path parameters, query, headers, body and request context', async () => {
    const before = Date.now();
    const res = await rawRequest(
      'POST',
      '/runs/run%201/steps/2?tag=a&tag=b&mode=shadow',
      { ...auth, 'Content-Type': 'application/json', 'X-Trace': ['first', 'second'] },
      '{"approve":true}',
    );

    expect(res.status).toBe(200);
    const { event, context } = seen.at(-1) ?? {};
    expect(event).toMatchObject({
      resource: '/runs/{id}/steps/{step}',
      path: '/runs/run%201/steps/2',
      httpMethod: 'POST',
      pathParameters: { id: 'run 1', step: '2' },
      queryStringParameters: { tag: 'b', mode: 'shadow' },
      multiValueQueryStringParameters: { tag: ['a', 'b'], mode: ['shadow'] },
      body: '{"approve":true}',
      isBase64Encoded: false,
      stageVariables: null,
    });
    expect(event?.headers['Content-Type']).toBe('application/json');
    expect(event?.headers['X-Trace']).toBe('second');
    expect(event?.multiValueHeaders['X-Trace']).toEqual(['first', 'second']);
    expect(event?.requestContext).toMatchObject({
      stage: 'local',
      resourcePath: '/runs/{id}/steps/{step}',
      httpMethod: 'POST',
      path: '/local/runs/run%201/steps/2',
      identity: { sourceIp: '127.0.0.1' },
    });
    expect(event?.requestContext.requestId).toBe(res.headers['x-amzn-requestid']);
    expect(event?.requestContext.requestTimeEpoch).toBeGreaterThanOrEqual(before);
    expect(event?.requestContext.requestTime).toMatch(/^\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d \+0000$/);
    expect(context?.awsRequestId).toEqual(expect.any(String));
  });

  it('keeps query and header names such as __proto__, constructor and toString as plain names', async () => {
    const res = await rawRequest('GET', '/runs/x?__proto__=a&constructor=b&constructor=c&toString=d', {
      ...auth,
      constructor: 'e',
      toString: ['f', 'g'],
    });

    expect(res.status).toBe(200);
    const { event } = seen.at(-1) ?? {};
    const own = (record: object | null | undefined, key: string) =>
      record ? Object.getOwnPropertyDescriptor(record, key)?.value : undefined;
    expect(own(event?.queryStringParameters, '__proto__')).toBe('a');
    expect(own(event?.queryStringParameters, 'constructor')).toBe('c');
    expect(own(event?.multiValueQueryStringParameters, 'constructor')).toEqual(['b', 'c']);
    expect(own(event?.queryStringParameters, 'toString')).toBe('d');
    expect(own(event?.headers, 'constructor')).toBe('e');
    expect(own(event?.multiValueHeaders, 'toString')).toEqual(['f', 'g']);
    expect(own(event?.queryStringParameters, 'hasOwnProperty')).toBeUndefined();
  });

  it('passes a Context whose remaining time counts down from the route timeout', async () => {
    await fetch(`${server.url}/runs/r1`, { headers: auth });
    const { context, remainingAtCall } = seen.at(-1) ?? {};
    expect(context?.functionName).toBe('aios-api');
    expect(remainingAtCall).toBeGreaterThan(9_000);
    expect(remainingAtCall).toBeLessThanOrEqual(10_000);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(context?.getRemainingTimeInMillis()).toBeLessThan(remainingAtCall ?? 0);
  });

  it('gives null query and body when there are none, and base64 for a binary body', async () => {
    await fetch(`${server.url}/runs/r1`, { headers: auth });
    expect(seen.at(-1)?.event).toMatchObject({
      queryStringParameters: null,
      body: null,
      isBase64Encoded: false,
    });

    await fetch(`${server.url}/runs`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/octet-stream' },
      body: new Uint8Array([0, 255, 1]),
    });
    expect(seen.at(-1)?.event).toMatchObject({ body: 'AP8B', isBase64Encoded: true });
  });
});

describe('the response', () => {
  it('writes status, merged single and multi-value headers, and decodes a base64 body', async () => {
    const res = await fetch(`${server.url}/files`, { headers: auth });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-single')).toBe('one');
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect([...new Uint8Array(await res.arrayBuffer())]).toEqual([0, 255, 7]);
  });

  it('answers 404 for an unknown path and 405 with Allow for a known path with another method', async () => {
    const missing = await fetch(`${server.url}/nothing/here`, { headers: auth });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ message: 'No route for GET /nothing/here' });

    const wrong = await fetch(`${server.url}/runs/r1`, { method: 'PUT', headers: auth });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, DELETE');
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
    logger.error.mockClear();
    const res = await fetch(`${server.url}/boom`, { headers: auth });
    const text = await res.text();

    expect(res.status).toBe(500);
    expect(JSON.parse(text)).toEqual({ message: 'Internal server error' });
    expect(text).not.toContain('hunter2');
    expect(logger.error).toHaveBeenCalledWith(
      'Handler failed',
      expect.objectContaining({
        error: expect.objectContaining({ message: 'database password is hunter2' }),
      }),
    );
    expect((await fetch(`${server.url}/runs/r1`, { headers: auth })).status).toBe(200);
  });

  it('answers 504 when the handler outlasts its timeout, and 502 for a malformed result', async () => {
    expect((await fetch(`${server.url}/slow`, { headers: auth })).status).toBe(504);
    expect((await fetch(`${server.url}/malformed`, { headers: auth })).status).toBe(502);
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

  it('serves a public route without a token', async () => {
    const res = await fetch(`${server.url}/approvals/ap-1`);
    expect(res.status).toBe(200);
    expect(seen.at(-1)?.event.pathParameters).toEqual({ id: 'ap-1' });
  });
});

describe('configuration and shutdown', () => {
  it('refuses duplicate routes, unknown public routes and an empty token at start-up', async () => {
    const base = { port: 0, logger };
    await expect(
      startLocalHttpServer({
        ...base,
        auth: { token: TOKEN },
        routes: [
          { method: 'GET', path: '/a', handler: echo },
          { method: 'GET', path: '/a', handler: echo },
        ],
      }),
    ).rejects.toBeInstanceOf(HttpServerConfigError);
    await expect(
      startLocalHttpServer({ ...base, auth: { token: TOKEN, publicRoutes: ['/nope'] }, routes: [] }),
    ).rejects.toThrow(/not a route/);
    await expect(startLocalHttpServer({ ...base, auth: { token: ' ' }, routes: [] })).rejects.toThrow(
      /non-empty/,
    );
  });

  it('close() ends keep-alive connections and stops accepting', async () => {
    const own = await startLocalHttpServer({
      port: 0,
      auth: { token: TOKEN },
      logger,
      routes: [{ method: 'GET', path: '/ping', handler: echo }],
    });
    const socketClosed = new Promise<void>((resolve, reject) => {
      const socket = connect(own.port, '127.0.0.1', () =>
        socket.write(
          `GET /ping HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nConnection: keep-alive\r\n\r\n`,
        ),
      );
      socket.once('data', () => {
        void own.close();
      });
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });

    await socketClosed;
    await expect(fetch(`${own.url}/ping`)).rejects.toThrow();
  });
});
