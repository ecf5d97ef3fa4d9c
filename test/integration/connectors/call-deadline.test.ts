import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSesEmailTransport, sesClient } from '../../../functions/adapters/aws/ses-email-transport.ts';
import { createEmailOutbox } from '../../../functions/adapters/local/email-outbox.ts';
import { createSlackOutbox } from '../../../functions/adapters/local/slack-outbox.ts';
import { createWebApiSlackTransport } from '../../../functions/adapters/slack/web-api-slack-transport.ts';
import { emailSendConnector } from '../../../functions/connectors/email-send.ts';
import { httpRequestConnector } from '../../../functions/connectors/http-request.ts';
import { slackPostConnector } from '../../../functions/connectors/slack-post.ts';
import { stateUpsertConnector } from '../../../functions/connectors/state-upsert.ts';
import type { Connector, ConnectorContext } from '../../../functions/core/connector.ts';
import { createMemoryStateStore } from '../../support/memory-state-store.ts';

/**
 * Every connector stops at the gateway's deadline (`context.signal`): a call already past it
 * sends nothing, and a call under way is abandoned when it passes, long before the provider's
 * slow answer.
 */

/** A loopback provider answering every request after `delayMs`, with a body Slack and SES both accept. */
let server: Server;
let url: string;
let requests = 0;
let delayMs = 0;
/** Told of each request as it arrives: the test's deadline passes while the provider holds it. */
let arrived = () => {};
beforeAll(async () => {
  server = createServer((request, response) => {
    requests += 1;
    arrived();
    request.resume();
    setTimeout(() => {
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ ok: true, channel: 'C0123ABCDE', ts: '1700000000.000100', MessageId: 'm-1' }));
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(
  () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
);

let dir: string;
beforeEach(() => {
  requests = 0;
  delayMs = 0;
  arrived = () => {};
  dir = mkdtempSync(join(tmpdir(), 'aios-deadline-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const contextWith = (signal: AbortSignal): ConnectorContext => ({
  idempotencyKey: 'aios-deadline-key',
  runId: 'r1',
  stepIndex: 0,
  now: new Date(),
  signal,
});

const passed = () => AbortSignal.abort(new DOMException('the deadline passed', 'TimeoutError'));

async function call(connector: Connector, params: unknown, signal: AbortSignal) {
  return connector.execute(connector.paramsSchema.parse(params), contextWith(signal));
}

const remote: [string, () => Connector, () => unknown][] = [
  ['http.request', () => httpRequestConnector(), () => ({ url: `${url}/hook` })],
  [
    'slack.post (Slack Web API)',
    () =>
      slackPostConnector(
        createWebApiSlackTransport({
          getToken: async () => 'xoxb-t',
          slackApiUrl: `${url}/api/`,
          timeoutMs: 10_000,
        }),
      ),
    () => ({ channel: '#general', text: 'hello' }),
  ],
  [
    'email.send (SES)',
    () =>
      emailSendConnector({
        transport: createSesEmailTransport(
          sesClient({
            endpoint: url,
            region: 'eu-west-1',
            credentials: { accessKeyId: 'A', secretAccessKey: 's' },
          }),
        ),
        from: 'ops@acme.example',
      }),
    () => ({ to: ['ana@acme.example'], subject: 'Hi', text: 'Hello' }),
  ],
];

describe('connector calls honour the deadline', () => {
  it.each(remote)('%s: a call past its deadline sends nothing', async (_name, make, params) => {
    await expect(call(make(), params(), passed())).rejects.toThrow();
    expect(requests).toBe(0);
  });

  it.each(remote)(
    '%s: a call under way is abandoned when the deadline passes',
    async (_name, make, params) => {
      delayMs = 5_000;
      // The deadline passes once the provider holds the request, not after a fixed time: a loaded
      // machine can take longer than any fixed time to build and sign the request in the first place.
      const deadline = new AbortController();
      arrived = () => deadline.abort(new DOMException('the deadline passed', 'TimeoutError'));
      const began = Date.now();
      await expect(call(make(), params(), deadline.signal)).rejects.toThrow();
      expect(Date.now() - began).toBeLessThan(4_000);
      expect(requests).toBe(1);
    },
  );

  it('email.send (local outbox): nothing is written past the deadline, with or without dedupe', async () => {
    for (const dedupes of [true, false]) {
      const connector = emailSendConnector({
        transport: createEmailOutbox({ dir, dedupes }),
        from: 'aios@localhost',
      });
      await expect(
        call(connector, { to: ['ana@acme.example'], subject: 'Hi', text: 'Hello' }, passed()),
      ).rejects.toThrow(/deadline passed/);
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('slack.post (local outbox) and state.upsert: nothing is written past the deadline', async () => {
    const outbox = createSlackOutbox({ dir });
    await expect(
      call(slackPostConnector(outbox), { channel: '#general', text: 'hi' }, passed()),
    ).rejects.toThrow(/deadline passed/);
    expect(readdirSync(dir)).toEqual([]);
    const store = createMemoryStateStore();
    await expect(
      call(stateUpsertConnector(store), { entityType: 'customer', entityId: 'acme', data: {} }, passed()),
    ).rejects.toThrow(/deadline passed/);
    expect(await store.getEntity('customer', 'acme')).toBeUndefined();
  });

  it('the local email outbox without dedupe sends each call as a new message, as SES does', async () => {
    const outbox = createEmailOutbox({ dir, dedupes: false });
    const email = {
      from: 'aios@localhost',
      to: ['ana@acme.example'],
      subject: 'Hi',
      text: 'x',
      idempotencyKey: 'k1',
    };
    const first = await outbox.send(email);
    const second = await outbox.send(email);
    expect(outbox.dedupes).toBe(false);
    expect(first.messageId).not.toBe(second.messageId);
    expect(readdirSync(dir).filter((name) => name.endsWith('.eml'))).toHaveLength(2);
  });
});
