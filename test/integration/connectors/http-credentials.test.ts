import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRequestConnector } from '../../../functions/connectors/http-request.ts';
import { PermanentConnectorError } from '../../../functions/core/errors.ts';
import { localCredentials } from '../../../lib/local/credentials.ts';
import { startWebhookServer, type WebhookServer } from '../../support/webhook-server.ts';

let hook: WebhookServer;
let dir: string;
const context = { idempotencyKey: 'aios-key-1', runId: 'r1', stepIndex: 0, now: new Date() };
const received: Record<string, string | undefined>[] = [];

beforeAll(async () => {
  hook = await startWebhookServer();
  dir = mkdtempSync(join(tmpdir(), 'aios-credentials-'));
  mkdirSync(join(dir, 'credentials', 'http'), { recursive: true });
  writeFileSync(join(dir, 'credentials', 'http', 'stripe'), 'Bearer sk_test_secret\n', { mode: 0o600 });
  writeFileSync(join(dir, 'credentials', 'http', 'loose'), 'Bearer leaked\n', { mode: 0o644 });
  chmodSync(join(dir, 'credentials', 'http', 'loose'), 0o644);
});
afterAll(async () => {
  await hook.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A fetch that records the headers the provider would see, then really calls the loopback server. */
const recordingFetch: typeof fetch = async (input, init) => {
  received.push(Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>)));
  return fetch(input, init);
};

describe('http.request credentials', () => {
  it('puts the stored credential in the named header and never in the result', async () => {
    const connector = httpRequestConnector(recordingFetch, localCredentials(dir));
    const params = connector.paramsSchema.parse({ url: `${hook.url}/charges`, credential: 'stripe' });
    const output = await connector.execute(params, context);
    expect(received.at(-1)).toMatchObject({
      authorization: 'Bearer sk_test_secret',
      'idempotency-key': 'aios-key-1',
    });
    expect(JSON.stringify(output)).not.toMatch(/sk_test_secret/);
    expect(JSON.stringify(params)).not.toMatch(/sk_test_secret/);
  });

  it('fails permanently, naming the credential, when it is missing or readable by others', async () => {
    const connector = httpRequestConnector(recordingFetch, localCredentials(dir));
    await expect(
      connector.execute(connector.paramsSchema.parse({ url: hook.url, credential: 'nope' }), context),
    ).rejects.toThrow(/credential nope could not be read: no credential file .*credentials\/http\/nope/);
    await expect(
      connector.execute(connector.paramsSchema.parse({ url: hook.url, credential: 'loose' }), context),
    ).rejects.toThrow(/readable by others; chmod 600/);
    const noStore = httpRequestConnector(recordingFetch);
    await expect(
      noStore.execute(noStore.paramsSchema.parse({ url: hook.url, credential: 'stripe' }), context),
    ).rejects.toThrow(PermanentConnectorError);
  });

  it('refuses a credential name that could reach outside the store', () => {
    const connector = httpRequestConnector(recordingFetch, localCredentials(dir));
    expect(connector.paramsSchema.safeParse({ url: hook.url, credential: '../api-token' }).success).toBe(
      false,
    );
  });
});
