import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createWebApiSlackTransport } from '../../../functions/adapters/slack/web-api-slack-transport.ts';
import { PermanentConnectorError, TransientConnectorError } from '../../../functions/core/errors.ts';

/** The error a call fails with; the test fails if the call succeeds. */
const rejectionOf = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error as Error,
  );

const TOKEN = 'xoxb-test-token';

interface Received {
  method: string;
  authorization?: string;
  form: Record<string, string>;
}
type Answer = { status?: number; headers?: Record<string, string>; body: unknown };

/** A loopback Slack Web API: records each call and answers from a script, defaulting to ok. */
let server: Server;
let slackApiUrl: string;
const received: Received[] = [];
const script: Answer[] = [];

const readBody = (request: IncomingMessage) =>
  new Promise<string>((resolve) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });

beforeAll(async () => {
  server = createServer(async (request, response) => {
    const method = (request.url ?? '').replace(/^\/api\//, '');
    const form = Object.fromEntries(new URLSearchParams(await readBody(request)));
    received.push({ method, authorization: request.headers.authorization, form });
    const answer = script.shift() ?? {
      body:
        method === 'chat.postMessage'
          ? { ok: true, channel: 'C0123ABCDE', ts: '1700000000.000100', message: { text: form.text } }
          : { ok: true, channel: form.channel, ts: form.ts },
    };
    response
      .writeHead(answer.status ?? 200, { 'content-type': 'application/json', ...answer.headers })
      .end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  slackApiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
});
afterAll(
  () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
);
beforeEach(() => {
  received.length = 0;
  script.length = 0;
});

const transport = () =>
  createWebApiSlackTransport({ getToken: async () => TOKEN, slackApiUrl, timeoutMs: 5000 });
const message = { channel: '#general', text: 'Invoice 42 sent', idempotencyKey: 'aios-k1' };

describe('the Slack Web API transport', () => {
  it('posts with the bot token, the blocks and the intent key as metadata, and returns channel and ts', async () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*Invoice 42*' } }];
    const posted = await transport().postMessage({ ...message, blocks });
    expect(posted).toEqual({ channel: 'C0123ABCDE', ts: '1700000000.000100' });
    expect(received).toHaveLength(1);
    const [call] = received;
    expect(call?.method).toBe('chat.postMessage');
    expect(call?.authorization).toBe(`Bearer ${TOKEN}`);
    expect(call?.form.channel).toBe('#general');
    expect(call?.form.text).toBe('Invoice 42 sent');
    expect(JSON.parse(call?.form.blocks ?? 'null')).toEqual(blocks);
    expect(JSON.parse(call?.form.metadata ?? 'null')).toEqual({
      event_type: 'aios_action',
      event_payload: { idempotency_key: 'aios-k1' },
    });
  });

  it('fetches the token only when a call needs it', async () => {
    let fetched = 0;
    const lazy = createWebApiSlackTransport({
      getToken: async () => {
        fetched += 1;
        return TOKEN;
      },
      slackApiUrl,
    });
    expect(fetched).toBe(0);
    await lazy.postMessage(message);
    expect(fetched).toBe(1);
  });

  it.each(['channel_not_found', 'not_in_channel', 'invalid_auth', 'invalid_blocks'])(
    'fails permanently on ok:false %s, naming the code',
    async (code) => {
      script.push({ body: { ok: false, error: code } });
      const error = await rejectionOf(transport().postMessage(message));
      expect(error).toBeInstanceOf(PermanentConnectorError);
      expect(error.message).toBe(`Slack chat.postMessage failed: ${code}`);
      expect(error.message).not.toContain(TOKEN);
    },
  );

  it('fails transiently on HTTP 429 with Retry-After, without retrying itself', async () => {
    script.push({ status: 429, headers: { 'retry-after': '30' }, body: { ok: false, error: 'ratelimited' } });
    const error = await rejectionOf(transport().postMessage(message));
    expect(error).toBeInstanceOf(TransientConnectorError);
    expect(error.message).toMatch(/rate limited; retry after 30s/);
    expect(received).toHaveLength(1);
  });

  it('fails transiently on a 5xx, once', async () => {
    script.push({ status: 503, body: { ok: false } });
    await expect(transport().postMessage(message)).rejects.toBeInstanceOf(TransientConnectorError);
    expect(received).toHaveLength(1);
  });

  it('fails transiently when Slack cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const unreachable = createWebApiSlackTransport({
      getToken: async () => TOKEN,
      slackApiUrl: `http://127.0.0.1:${port}/api/`,
    });
    const error = await rejectionOf(unreachable.postMessage(message));
    expect(error).toBeInstanceOf(TransientConnectorError);
    expect(error.message).toMatch(/^Slack chat\.postMessage did not answer/);
  });

  it('deletes a message, and treats message_not_found on a second delete as already deleted', async () => {
    const ref = { channel: 'C0123ABCDE', ts: '1700000000.000100' };
    expect(await transport().deleteMessage(ref)).toEqual({ alreadyDeleted: false });
    script.push({ body: { ok: false, error: 'message_not_found' } });
    expect(await transport().deleteMessage(ref)).toEqual({ alreadyDeleted: true });
    expect(received.map((r) => [r.method, r.form.channel, r.form.ts])).toEqual([
      ['chat.delete', 'C0123ABCDE', '1700000000.000100'],
      ['chat.delete', 'C0123ABCDE', '1700000000.000100'],
    ]);
  });

  it('fails a delete it is not allowed to do permanently', async () => {
    script.push({ body: { ok: false, error: 'cant_delete_message' } });
    await expect(transport().deleteMessage({ channel: 'C0123ABCDE', ts: '1.2' })).rejects.toThrow(
      new PermanentConnectorError('Slack chat.delete failed: cant_delete_message'),
    );
  });
});
