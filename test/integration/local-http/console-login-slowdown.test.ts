import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { FREE_LOGIN_FAILURES } from '../../../functions/console/auth.ts';
import { createCatalog } from '../../../functions/core/catalog.ts';
import type { LocalRuntime } from '../../../lib/local/runtime.ts';
import { startLocalRuntime } from '../../../lib/local/runtime.ts';
import { scenarioWorkflow } from '../../support/local-runtime.ts';

// The login slow-down is kept per client address: a guesser is slowed down, the operator on
// another address is not, and a header the guesser writes cannot make it a new client, unless
// the operator says a proxy in front writes it (then the address that proxy saw counts).

let runtime: LocalRuntime | undefined;
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
});

/** A login POST from a given loopback source address (Linux routes all of 127/8 to lo). */
function login(rt: LocalRuntime, from: string, token: string, headers: Record<string, string> = {}) {
  return loginAnswer(rt, from, token, headers).then((answer) => answer.status);
}

function loginAnswer(rt: LocalRuntime, from: string, token: string, headers: Record<string, string> = {}) {
  const url = new URL('/console/login', rt.url);
  const body = new URLSearchParams({ token }).toString();
  return new Promise<{ status: number; retryAfter: number }>((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        localAddress: from,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
          ...headers,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, retryAfter: Number(res.headers['retry-after'] ?? 0) }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function start(trustedProxies?: number) {
  runtime = await startLocalRuntime({
    port: 0,
    catalog: createCatalog([scenarioWorkflow()]),
    timeScale: 0.01,
    pollIntervalMs: 20,
    ...(trustedProxies !== undefined ? { trustedProxies } : {}),
  });
  return runtime;
}

/**
 * Wrong tokens from `from` until its wait is at least 8 s: ten free tries, then each wrong one
 * doubles the wait (1, 2, 4, 8 s). Waiting out the short waits keeps the assertions that follow
 * inside a long one, however slow this machine is.
 */
async function slowDown(rt: LocalRuntime, from: string, headers?: Record<string, string>) {
  for (let i = 0; i < FREE_LOGIN_FAILURES; i += 1) {
    expect(await login(rt, from, `wrong-${i}`, headers)).toBe(401);
  }
  for (let i = 0; i < 20; i += 1) {
    const answer = await loginAnswer(rt, from, `wrong-more-${i}`, headers);
    if (answer.status === 429 && answer.retryAfter >= 8) return;
    if (answer.status === 429) await new Promise((resolve) => setTimeout(resolve, answer.retryAfter * 1000));
    else expect(answer.status).toBe(401);
  }
  throw new Error(`${from} was never slowed down`);
}

describe('the console login slow-down, per client', () => {
  it('slows the guessing address down and not another; a forged X-Forwarded-For changes nothing', async () => {
    const rt = await start();
    await slowDown(rt, '127.0.0.2');
    expect(await login(rt, '127.0.0.2', 'wrong', { 'x-forwarded-for': '198.51.100.9' })).toBe(429);
    // The operator, on another address, is neither slowed down nor refused.
    expect(await login(rt, '127.0.0.3', 'wrong')).toBe(401);
    expect(await login(rt, '127.0.0.3', rt.apiToken)).toBe(303);
  });

  it('behind one trusted proxy, keys on the address the proxy saw, not on what the client wrote', async () => {
    const rt = await start(1);
    // One proxy (here 127.0.0.4) forwards both; it appends the address it saw, after the client's own words.
    const guesser = { 'x-forwarded-for': '10.0.0.1, 203.0.113.7' };
    await slowDown(rt, '127.0.0.4', guesser);
    expect(await login(rt, '127.0.0.4', 'wrong', { 'x-forwarded-for': '10.0.0.2, 203.0.113.7' })).toBe(429);
    expect(await login(rt, '127.0.0.4', rt.apiToken, { 'x-forwarded-for': '203.0.113.8' })).toBe(303);
  });
});
