import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSlackOutbox } from '../../../../functions/adapters/local/slack-outbox.ts';
import { createWebApiSlackTransport } from '../../../../functions/adapters/slack/web-api-slack-transport.ts';
import { createSlackInteractionsApp } from '../../../../functions/app.ts';
import { slackInteractionClient } from '../../../../functions/approvals/slack/interactions.ts';
import { createSlackApprovalNotifier } from '../../../../functions/approvals/slack/notifier.ts';
import { PermanentConnectorError } from '../../../../functions/core/errors.ts';
import type { SlackTransport } from '../../../../functions/core/ports/slack-transport.ts';
import { createLocalContext } from '../../../../lib/local/http/lambda-context.ts';
import { lambdaFor } from '../../../support/http-lambda.ts';
import { APPROVER, approvalFixture, SIGNING_SECRET } from '../../../unit/approvals/slack/fixtures.ts';
import { blockAction, fakeApprovals, formBody, NOW, slackEvent } from './support.ts';

const TOKEN = 'xoxb-approvals-test';
const ID = 'apr-onboarding-1-3';

/** A loopback Slack Web API: records every call's method and form, answers ok like Slack does. */
let server: Server;
let slackApiUrl: string;
const received: { method: string; authorization?: string; form: Record<string, string> }[] = [];

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
    const answers: Record<string, unknown> = {
      'chat.postMessage': { ok: true, channel: 'C0APPROVALS', ts: '1795600000.000100' },
      'chat.update': { ok: true, channel: form.channel, ts: form.ts, text: form.text },
      'views.open': { ok: true, view: { id: 'V0VIEW' } },
    };
    response
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify(answers[method] ?? { ok: false, error: 'unknown_method' }));
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
});

const webApi = () =>
  createWebApiSlackTransport({ getToken: async () => TOKEN, slackApiUrl, timeoutMs: 5000 });

describe('Slack interactions through the Web API transport (loopback Slack)', () => {
  function handlerWith(transport: SlackTransport) {
    const fake = fakeApprovals([approvalFixture()]);
    const handler = lambdaFor(
      createSlackInteractionsApp({
        approvals: fake.approvals,
        signingSecret: async () => SIGNING_SECRET,
        slack: slackInteractionClient(transport),
        clock: { now: () => NOW },
      }),
    );
    const invoke = (body: string) =>
      handler(
        slackEvent(body),
        createLocalContext('aios-slack-interactions', 3000),
      ) as Promise<APIGatewayProxyResult>;
    return { ...fake, invoke };
  }

  it('approve → chat.update of the clicked message, with the bot token and the decided blocks', async () => {
    const t = handlerWith(webApi());
    const result = await t.invoke(formBody(blockAction('aios_approve', ID)));
    expect(result).toMatchObject({ statusCode: 200, body: '' });
    expect(received.map((r) => r.method)).toEqual(['chat.update']);
    const [update] = received;
    expect(update?.authorization).toBe(`Bearer ${TOKEN}`);
    expect(update?.form).toMatchObject({ channel: 'C0APPROVALS', ts: '1795600000.000100' });
    const blocks = JSON.parse(update?.form.blocks ?? '[]') as { type: string }[];
    expect(blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(update?.form.blocks).toContain(`Approved by <@${APPROVER}>`);
  });

  it('edit → views.open with the trigger id and the modal', async () => {
    const t = handlerWith(webApi());
    const result = await t.invoke(formBody(blockAction('aios_edit', ID)));
    expect(result.statusCode).toBe(200);
    expect(received.map((r) => r.method)).toEqual(['views.open']);
    expect(received[0]?.form.trigger_id).toBe('123.456.trigger');
    expect(JSON.parse(received[0]?.form.view ?? '{}')).toMatchObject({
      type: 'modal',
      callback_id: 'aios_edit_submit',
      private_metadata: ID,
    });
    expect(t.decideCalls).toEqual([]);
  });

  it('the notifier posts the request, reminds in its thread, and shows the decision with chat.update', async () => {
    const notifier = createSlackApprovalNotifier({
      transport: webApi(),
      channel: '#aios-approvals',
      clock: { now: () => NOW },
    });
    const ref = await notifier.notify(approvalFixture({ slackMessage: undefined }));
    expect(ref).toEqual({ channel: 'C0APPROVALS', ts: '1795600000.000100' });
    await notifier.remind(approvalFixture({ slackMessage: ref }));
    const decided = approvalFixture({
      slackMessage: ref,
      status: 'REJECTED',
      decision: {
        outcome: 'rejected',
        channel: 'email',
        by: 'owner@acme.example',
        at: NOW.toISOString(),
        note: 'too early',
      },
    });
    expect(await notifier.showDecision(decided)).toEqual({ updated: true });
    expect(received.map((r) => r.method)).toEqual(['chat.postMessage', 'chat.postMessage', 'chat.update']);
    expect(received[0]?.form.channel).toBe('#aios-approvals');
    expect(received[0]?.form.blocks).toContain('aios_approve');
    expect(received[1]?.form).toMatchObject({ channel: 'C0APPROVALS', thread_ts: '1795600000.000100' });
    expect(received[2]?.form.blocks).toContain('Rejected by owner@acme.example');
    expect(received[2]?.form.blocks).toContain('too early');
  });
});

describe('the local outbox as the approval channel', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'aios-slack-approvals-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('records the request once, the decision as a .updated.json beside it, and a modal under views/', async () => {
    const outbox = createSlackOutbox({ dir, clock: { now: () => NOW } });
    const notifier = createSlackApprovalNotifier({ transport: outbox, channel: '#aios-approvals' });
    const pending = approvalFixture({ slackMessage: undefined });
    const ref = await notifier.notify(pending);
    expect(await notifier.notify(pending)).toEqual(ref); // the outbox posts a key once
    const [posted] = readdirSync(dir);
    expect(posted).toMatch(/^20261125T100500000Z-approval-apr-onboarding-1-3-request\.json$/);

    const decided = approvalFixture({
      slackMessage: ref,
      status: 'APPROVED',
      decision: { outcome: 'approved', channel: 'slack', by: APPROVER, at: NOW.toISOString() },
    });
    expect(await notifier.showDecision(decided)).toEqual({ updated: true });
    const updated = JSON.parse(readFileSync(join(dir, `${posted}.updated.json`), 'utf8'));
    expect(updated).toMatchObject({ channel: ref.channel, ts: ref.ts, updatedAt: NOW.toISOString() });
    expect(JSON.stringify(updated.blocks)).toContain(`Approved by <@${APPROVER}>`);
    // The original stays as posted; a second update replaces the first.
    expect(readFileSync(join(dir, posted as string), 'utf8')).toContain('aios_approve');
    await slackInteractionClient(outbox).updateMessage(ref.channel, ref.ts, 'again', []);
    expect(JSON.parse(readFileSync(join(dir, `${posted}.updated.json`), 'utf8')).text).toBe('again');
    // Updates do not confuse finding the message again, nor deleting it.
    expect(await outbox.deleteMessage(ref)).toEqual({ alreadyDeleted: false });

    await slackInteractionClient(outbox).openModal('123.456.trigger', {
      type: 'modal',
      title: { type: 'plain_text', text: 'x' },
    });
    expect(readdirSync(join(dir, 'views'))).toEqual(['20261125T100500000Z-123.456.trigger.json']);
  });

  it('refuses to update a message it never posted, as Slack does (message_not_found)', async () => {
    const outbox = createSlackOutbox({ dir, clock: { now: () => NOW } });
    await expect(
      outbox.updateMessage({ channel: '#aios-approvals', ts: '1.000001' }, { text: 'x' }),
    ).rejects.toThrow(PermanentConnectorError);
  });

  it('posts a reminder as a thread reply of the request', async () => {
    const outbox = createSlackOutbox({ dir, clock: { now: () => NOW } });
    const notifier = createSlackApprovalNotifier({
      transport: outbox,
      channel: '#aios-approvals',
      clock: { now: () => NOW },
    });
    const ref = await notifier.notify(approvalFixture({ slackMessage: undefined }));
    await notifier.remind(approvalFixture({ slackMessage: ref, escalationStage: 1 }));
    const reminder = readdirSync(dir).find((n) => n.includes('reminder-1'));
    const record = JSON.parse(readFileSync(join(dir, reminder as string), 'utf8'));
    expect(record).toMatchObject({ channel: ref.channel, threadTs: ref.ts });
    expect(record.text).toMatch(/^Reminder/);
  });
});
