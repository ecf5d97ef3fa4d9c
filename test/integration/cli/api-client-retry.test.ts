import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createApiClient } from '../../../lib/cli/api-client.ts';
import { CliError, EXIT } from '../../../lib/cli/errors.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'aios-retry-'));
writeFileSync(join(dataDir, 'api-token'), 'the-token\n');
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

type Answer = (request: IncomingMessage, response: ServerResponse) => void;

/** A stand-in API that answers the n-th POST /runs with the n-th scripted answer. */
async function scriptedApi(answers: Answer[]) {
  const keys: (string | undefined)[] = [];
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      keys.push(request.headers['idempotency-key'] as string | undefined);
      const answer = answers[keys.length - 1] ?? answers.at(-1);
      answer?.(request, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url, keys };
}
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

const status =
  (code: number, body: unknown): Answer =>
  (_request, response) =>
    response.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
const hangUp: Answer = (request) => request.socket.destroy();
const never: Answer = () => {};

const client = async (url: string, retries: string[] = [], startTimeoutMs = 10_000) =>
  createApiClient(url, dataDir, {
    retryDelaysMs: [10, 10, 10],
    startTimeoutMs,
    onRetry: (reason, attempt) => retries.push(`${attempt}: ${reason}`),
  });
const body = { workflow: 'onboarding', input: {} };

describe('the CLI retries a run start with the same Idempotency-Key', () => {
  it('after a connection that broke and a 503, with the same key each time, and says so', async () => {
    const api = await scriptedApi([
      hangUp,
      status(503, { message: 'busy' }),
      status(202, { runId: 'run-1' }),
    ]);
    const retries: string[] = [];
    const started = await (await client(api.url, retries)).startRun(body, 'key-1');
    expect(started).toEqual({ runId: 'run-1' });
    expect(api.keys).toEqual(['key-1', 'key-1', 'key-1']);
    expect(retries).toEqual([
      expect.stringMatching(/^2: the connection to aios at .* broke before it answered/),
      '3: the server failed: busy',
    ]);
  });

  it('after an attempt that took too long', async () => {
    const api = await scriptedApi([never, status(200, { runId: 'run-2' })]);
    // The first attempt is never answered; a later one is (a slow machine may time out one more).
    expect(await (await client(api.url, [], 300)).startRun(body, 'key-2')).toEqual({ runId: 'run-2' });
    expect(api.keys.length).toBeGreaterThanOrEqual(2);
    expect(new Set(api.keys)).toEqual(new Set(['key-2']));
  });

  it('a bounded number of times, then reports the server failure (exit 5)', async () => {
    const api = await scriptedApi([status(500, { message: 'internal error' })]);
    const error = await (await client(api.url)).startRun(body, 'key-3').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(EXIT.server);
    expect(api.keys).toHaveLength(4);
  });

  it('never for a refusal of the request itself (4xx)', async () => {
    const api = await scriptedApi([status(422, { message: 'different request' })]);
    const error = await (await client(api.url)).startRun(body, 'key-4').catch((e: unknown) => e);
    expect((error as CliError).exitCode).toBe(EXIT.badInput);
    expect(api.keys).toHaveLength(1);
  });

  it('not when nothing listens to begin with: aios is not running (exit 3), said at once', async () => {
    const api = await scriptedApi([status(202, { runId: 'never' })]);
    for (const close of closers.splice(0)) await close();
    const retries: string[] = [];
    const error = await (await client(api.url, retries)).startRun(body, 'key-5').catch((e: unknown) => e);
    expect((error as CliError).exitCode).toBe(EXIT.unreachable);
    expect((error as CliError).message).toMatch(/aios is not running at/);
    expect(retries).toEqual([]);
  });
});
