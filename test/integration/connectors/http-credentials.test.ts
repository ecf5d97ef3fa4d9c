import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { localCredentials } from '../../../functions/adapters/local/credentials.ts';
import { httpRequestConnector } from '../../../functions/connectors/http-request.ts';
import { CredentialRefusedError, PermanentConnectorError } from '../../../functions/core/errors.ts';
import { logger, metrics } from '../../../functions/shared/powertools.ts';
import { startWebhookServer, type WebhookServer } from '../../support/webhook-server.ts';

let hook: WebhookServer;
let other: WebhookServer;
let redirector: Server;
let redirectorUrl: string;
let dir: string;
const context = { idempotencyKey: 'aios-key-1', runId: 'r1', stepIndex: 0, now: new Date() };
const received: Record<string, string | undefined>[] = [];

const store = (name: string, content: string, mode = 0o600) => {
  const file = join(dir, 'credentials', 'http', name);
  writeFileSync(file, content, { mode });
  chmodSync(file, mode);
};

beforeAll(async () => {
  hook = await startWebhookServer();
  other = await startWebhookServer();
  // Answers every request with a redirect to the other server.
  redirector = createServer((_request, response) => {
    response.writeHead(302, { location: `${other.url}/landing` }).end();
  });
  await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
  redirectorUrl = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}`;
  dir = mkdtempSync(join(tmpdir(), 'aios-credentials-'));
  mkdirSync(join(dir, 'credentials', 'http'), { recursive: true });
  store('stripe', JSON.stringify({ value: 'Bearer sk_test_secret', hosts: [hook.url, redirectorUrl] }));
  store('legacy', 'Bearer sk_plain_string\n');
  store('loose', JSON.stringify({ value: 'Bearer leaked', hosts: [hook.url] }), 0o644);
});
afterAll(async () => {
  await hook.close();
  await other.close();
  redirector.closeAllConnections();
  await new Promise<void>((resolve) => redirector.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  hook.deliveries.length = 0;
  other.deliveries.length = 0;
});

/** A fetch that records the headers the provider would see, then really calls the loopback server. */
const recordingFetch: typeof fetch = async (input, init) => {
  received.push(Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>)));
  return fetch(input, init);
};

const connector = () => httpRequestConnector(recordingFetch, localCredentials(dir));
const call = (params: Record<string, unknown>) => {
  const c = connector();
  return c.execute(c.paramsSchema.parse(params), context);
};

describe('http.request credentials', () => {
  it('puts the stored credential in the named header for a host it is bound to, and never in the result', async () => {
    const c = connector();
    const params = c.paramsSchema.parse({ url: `${hook.url}/charges`, credential: 'stripe' });
    const output = await c.execute(params, context);
    expect(received.at(-1)).toMatchObject({
      authorization: 'Bearer sk_test_secret',
      'idempotency-key': 'aios-key-1',
    });
    expect(hook.deliveries).toHaveLength(1);
    expect(JSON.stringify(output)).not.toMatch(/sk_test_secret/);
    expect(JSON.stringify(params)).not.toMatch(/sk_test_secret/);
  });

  it('refuses another host, scheme or port before any request, naming the hosts it is bound to', async () => {
    const port = new URL(hook.url).port;
    const elsewhere = [
      `http://localhost:${port}/charges`, // the same server under another name
      `https://127.0.0.1:${port}/charges`, // another scheme
      `${other.url}/charges`, // another port
      `http://127.0.0.1:${port}@localhost:${port}/charges`, // a bound host as the user part
    ];
    for (const url of elsewhere) {
      const refused = call({ url, credential: 'stripe' });
      await expect(refused, url).rejects.toThrow(CredentialRefusedError);
      await expect(refused, url).rejects.toThrow(
        `refused before sending: credential stripe may not be sent to ${new URL(url).protocol}//${new URL(url).hostname}:`,
      );
    }
    await expect(call({ url: `${other.url}/x`, credential: 'stripe' })).rejects.toThrow(
      `it is bound to ${hook.url}, ${redirectorUrl}`,
    );
    expect(hook.deliveries).toHaveLength(0);
    expect(other.deliveries).toHaveLength(0);
  });

  it('alerts the operator on a refusal: an error in the log (without the value) and the CredentialRefused metric', async () => {
    const logged = vi.spyOn(logger, 'error').mockImplementation(() => undefined);
    const counted = vi.spyOn(metrics, 'addMetric');
    try {
      await expect(call({ url: `${other.url}/x`, credential: 'stripe' })).rejects.toThrow(
        CredentialRefusedError,
      );
      expect(logged).toHaveBeenCalledWith(
        expect.stringMatching(/refused/),
        expect.objectContaining({ runId: 'r1', stepIndex: 0, credential: 'stripe' }),
      );
      expect(JSON.stringify(logged.mock.calls)).not.toMatch(/sk_test_secret/);
      expect(counted).toHaveBeenCalledWith('CredentialRefused', 'Count', 1);
    } finally {
      logged.mockRestore();
      counted.mockRestore();
    }
  });

  it('follows no redirect with a credential: the step fails and the credential goes nowhere else', async () => {
    await expect(call({ url: `${redirectorUrl}/charges`, credential: 'stripe' })).rejects.toThrow(
      /answered 302, a redirect to http:\/\/127\.0\.0\.1:\d+\/landing; a request carrying credential stripe follows no redirect/,
    );
    expect(other.deliveries).toHaveLength(0);
  });

  it('refuses a plain-string credential, saying how to bind it to its hosts, and sends nothing', async () => {
    await expect(call({ url: hook.url, credential: 'legacy' })).rejects.toThrow(
      /credential legacy could not be read: credential legacy does not say where it may be sent: store .*credentials\/http\/legacy as JSON \{"value": "<the header value>", "hosts": \["api\.example\.com"\]\}/,
    );
    expect(hook.deliveries).toHaveLength(0);
  });

  it('fails permanently, naming the credential, when it is missing or readable by others', async () => {
    await expect(call({ url: hook.url, credential: 'nope' })).rejects.toThrow(
      /credential nope could not be read: no credential file .*credentials\/http\/nope/,
    );
    await expect(call({ url: hook.url, credential: 'loose' })).rejects.toThrow(
      /readable by others; chmod 600/,
    );
    const noStore = httpRequestConnector(recordingFetch);
    await expect(
      noStore.execute(noStore.paramsSchema.parse({ url: hook.url, credential: 'stripe' }), context),
    ).rejects.toThrow(PermanentConnectorError);
    expect(hook.deliveries).toHaveLength(0);
  });

  it('refuses a credential name that could reach outside the store', () => {
    expect(connector().paramsSchema.safeParse({ url: hook.url, credential: '../api-token' }).success).toBe(
      false,
    );
  });
});
