import type { APIGatewayProxyResult } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createSlackInteractionsApp } from '../../../../functions/app.ts';
import {
  type InteractionsLogger,
  NOT_ALLOWED_TEXT,
  type SlackInteractionClient,
} from '../../../../functions/approvals/slack/interactions.ts';
import type { Approval } from '../../../../functions/core/approvals/approval.ts';
import type { SlackModalView } from '../../../../functions/core/ports/slack-transport.ts';
import { createLocalContext } from '../../../../lib/local/http/lambda-context.ts';
import { lambdaFor } from '../../../support/http-lambda.ts';
import { APPROVER, approvalFixture, STRANGER } from '../../../unit/approvals/slack/fixtures.ts';
import {
  blockAction,
  fakeApprovals,
  formBody,
  NOW,
  NOW_SECONDS,
  slackEvent,
  viewSubmission,
} from './support.ts';

const ID = 'apr-onboarding-1-3';

function fakeSlack(options: { updateDelayMs?: number } = {}) {
  const updates: { channel: string; ts: string; text: string; blocks: unknown }[] = [];
  const modals: { triggerId: string; view: SlackModalView }[] = [];
  const slack: SlackInteractionClient = {
    async updateMessage(channel, ts, text, blocks) {
      if (options.updateDelayMs) await new Promise((resolve) => setTimeout(resolve, options.updateDelayMs));
      updates.push({ channel, ts, text, blocks });
    },
    async openModal(triggerId, view) {
      modals.push({ triggerId, view });
    },
  };
  return { slack, updates, modals };
}

function recordingLogger() {
  const lines: { level: string; message: string; attributes?: Record<string, unknown> }[] = [];
  const logger: InteractionsLogger = {
    info: (message, attributes) => lines.push({ level: 'info', message, attributes }),
    warn: (message, attributes) => lines.push({ level: 'warn', message, attributes }),
    error: (message, attributes) => lines.push({ level: 'error', message, attributes }),
  };
  return { logger, lines };
}

function setup(
  approvals: Approval[] = [approvalFixture()],
  options: { decideDelayMs?: number; updateDelayMs?: number; ackBudgetMs?: number } = {},
) {
  const fake = fakeApprovals(approvals, options);
  const slack = fakeSlack(options);
  const log = recordingLogger();
  const handler = lambdaFor(
    createSlackInteractionsApp({
      approvals: fake.approvals,
      signingSecret: async () => 'e3b0c44298fc1c149afbf4c8996fb924',
      slack: slack.slack,
      clock: { now: () => NOW },
      logger: log.logger,
      ...(options.ackBudgetMs ? { ackBudgetMs: options.ackBudgetMs } : {}),
    }),
  );
  const invoke = (event: ReturnType<typeof slackEvent>) =>
    handler(event, createLocalContext('aios-slack-interactions', 3000)) as Promise<APIGatewayProxyResult>;
  return { ...fake, ...slack, ...log, invoke };
}

const bodyOf = (result: APIGatewayProxyResult) => (result.body ? JSON.parse(result.body) : undefined);

describe('Slack interactions: refused before anything happens', () => {
  it('answers 401 to a forged signature, and never reads or decides the approval', async () => {
    const t = setup();
    const body = formBody(blockAction('aios_approve', ID));
    const result = await t.invoke(slackEvent(body, { secret: 'f'.repeat(32) }));
    expect(result.statusCode).toBe(401);
    expect(bodyOf(result).message).toMatch(/does not match/);
    expect(t.decideCalls).toEqual([]);
    expect(t.updates).toEqual([]);
    expect(t.records.get(ID)?.status).toBe('PENDING');
  });

  it('answers 401 to a correctly signed request whose timestamp is 301 s old (a replay)', async () => {
    const t = setup();
    const body = formBody(blockAction('aios_approve', ID));
    const result = await t.invoke(slackEvent(body, { timestamp: NOW_SECONDS - 301 }));
    expect(result.statusCode).toBe(401);
    expect(t.decideCalls).toEqual([]);
    expect(t.records.get(ID)?.status).toBe('PENDING');
  });

  it('answers 401 without the signature headers', async () => {
    const t = setup();
    const event = slackEvent(formBody(blockAction('aios_approve', ID)));
    event.headers = { 'Content-Type': 'application/x-www-form-urlencoded' };
    expect((await t.invoke(event)).statusCode).toBe(401);
    expect(t.decideCalls).toEqual([]);
  });

  it('records nothing for a Slack user who is not allow-listed, and tells them so', async () => {
    const t = setup();
    for (const action of ['aios_approve', 'aios_reject', 'aios_edit']) {
      const result = await t.invoke(slackEvent(formBody(blockAction(action, ID, STRANGER))));
      expect(result.statusCode).toBe(200);
      expect(bodyOf(result)).toMatchObject({ response_type: 'ephemeral', text: NOT_ALLOWED_TEXT });
    }
    const submitted = await t.invoke(slackEvent(formBody(viewSubmission(ID, { amount: '1' }, STRANGER))));
    expect(bodyOf(submitted)).toEqual({
      response_action: 'errors',
      errors: { 'param:amount': NOT_ALLOWED_TEXT },
    });
    expect(t.decideCalls).toEqual([]);
    expect(t.updates).toEqual([]);
    expect(t.modals).toEqual([]);
    expect(t.records.get(ID)?.status).toBe('PENDING');
    expect(t.records.get(ID)?.decision).toBeUndefined();
  });

  it('honours a custom allow-list', async () => {
    const fake = fakeApprovals([approvalFixture()]);
    const slack = fakeSlack();
    const handler = lambdaFor(
      createSlackInteractionsApp({
        approvals: fake.approvals,
        signingSecret: async () => 'e3b0c44298fc1c149afbf4c8996fb924',
        allowedUserIds: () => [STRANGER],
        slack: slack.slack,
        clock: { now: () => NOW },
        logger: recordingLogger().logger,
      }),
    );
    const context = createLocalContext('aios-slack-interactions', 3000);
    const refused = await handler(slackEvent(formBody(blockAction('aios_approve', ID, APPROVER))), context);
    expect(JSON.parse(refused.body).text).toBe(NOT_ALLOWED_TEXT);
    await handler(slackEvent(formBody(blockAction('aios_approve', ID, STRANGER))), context);
    expect(fake.decideCalls.map((c) => c.request.by)).toEqual([STRANGER]);
  });

  it('acknowledges a Slack retry (X-Slack-Retry-Num) with 200 and does not decide again', async () => {
    const t = setup();
    const body = formBody(blockAction('aios_approve', ID));
    expect((await t.invoke(slackEvent(body))).statusCode).toBe(200);
    const retry = await t.invoke(
      slackEvent(body, { headers: { 'X-Slack-Retry-Num': '1', 'X-Slack-Retry-Reason': 'http_timeout' } }),
    );
    expect(retry).toMatchObject({ statusCode: 200, body: '' });
    expect(t.decideCalls).toHaveLength(1);
    expect(t.updates).toHaveLength(1);
  });

  it('answers 400 naming the field to a signed payload that does not parse, and decides nothing', async () => {
    const t = setup();
    const noValue = blockAction('aios_approve', ID) as { actions: { value?: string }[] };
    delete noValue.actions[0]?.value;
    const result = await t.invoke(slackEvent(formBody(noValue)));
    expect(result.statusCode).toBe(400);
    expect(bodyOf(result).message).toMatch(/actions\.0\.value/);
    const garbled = await t.invoke(slackEvent('payload=%7Bnot-json'));
    expect(garbled.statusCode).toBe(400);
    expect(bodyOf(garbled).message).toMatch(/payload is not valid JSON/);
    expect(t.decideCalls).toEqual([]);
  });
});

describe('Slack interactions: deciding', () => {
  it('approves: decides as the Slack user on the slack channel and updates the clicked message', async () => {
    const t = setup();
    const result = await t.invoke(slackEvent(formBody(blockAction('aios_approve', ID))));
    expect(result).toMatchObject({ statusCode: 200, body: '' });
    expect(t.decideCalls).toEqual([
      { approvalId: ID, request: { outcome: 'approved', channel: 'slack', by: APPROVER } },
    ]);
    expect(t.updates).toHaveLength(1);
    expect(t.updates[0]).toMatchObject({ channel: 'C0APPROVALS', ts: '1795600000.000100' });
    const shown = JSON.stringify(t.updates[0]?.blocks);
    expect(shown).toContain(`Approved by <@${APPROVER}> at <!date^${NOW_SECONDS}^`);
    expect(shown).not.toContain('aios_approve');
  });

  it('verifies a base64-encoded body (API Gateway binary media types) over its raw bytes', async () => {
    const t = setup();
    const result = await t.invoke(slackEvent(formBody(blockAction('aios_reject', ID)), { base64: true }));
    expect(result.statusCode).toBe(200);
    expect(t.decideCalls[0]?.request.outcome).toBe('rejected');
    expect(t.records.get(ID)?.status).toBe('REJECTED');
  });

  it('a second click is a no-op: the message is updated to say who decided first and when', async () => {
    const t = setup();
    await t.invoke(slackEvent(formBody(blockAction('aios_approve', ID))));
    const second = await t.invoke(slackEvent(formBody(blockAction('aios_reject', ID))));
    expect(second.statusCode).toBe(200);
    expect(bodyOf(second)).toMatchObject({
      response_type: 'ephemeral',
      text: expect.stringMatching(/Already approved/),
    });
    expect(t.records.get(ID)?.status).toBe('APPROVED');
    expect(t.updates).toHaveLength(2);
    expect(JSON.stringify(t.updates[1]?.blocks)).toContain(`Approved by <@${APPROVER}>`);
  });

  it('updates both the clicked reminder and the request message when they differ', async () => {
    const t = setup();
    const reminder = { channel: 'C0APPROVALS', ts: '1795600900.000200' };
    await t.invoke(slackEvent(formBody(blockAction('aios_approve', ID, APPROVER, reminder))));
    expect(t.updates.map((u) => u.ts).sort()).toEqual(['1795600000.000100', '1795600900.000200']);
  });

  it('answers 200, never 500, for an expired approval, and shows it expired', async () => {
    const t = setup([approvalFixture({ status: 'EXPIRED', expiresAt: '2026-11-25T10:01:00.000Z' })]);
    const result = await t.invoke(slackEvent(formBody(blockAction('aios_approve', ID))));
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result).text).toMatch(/expired/);
    expect(JSON.stringify(t.updates[0]?.blocks)).toContain('Expired at');
  });

  it('answers 200 with a clear text for an approval that does not exist', async () => {
    const t = setup();
    const result = await t.invoke(slackEvent(formBody(blockAction('aios_approve', 'apr-nope'))));
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result).text).toMatch(/not found/);
    expect(t.decideCalls).toEqual([]);
  });

  it('answers within its budget when deciding is slow, and logs instead of failing', async () => {
    const t = setup([approvalFixture()], { decideDelayMs: 600, ackBudgetMs: 150 });
    const started = Date.now();
    const result = await t.invoke(slackEvent(formBody(blockAction('aios_approve', ID))));
    expect(Date.now() - started).toBeLessThan(500);
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result).text).toMatch(/still being recorded/);
    expect(
      t.lines.some((l) => l.level === 'warn' && /deciding the approval did not finish/.test(l.message)),
    ).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 600));
  });

  it('answers 200 when the message update is slow, and logs it', async () => {
    const t = setup([approvalFixture()], { updateDelayMs: 600, ackBudgetMs: 150 });
    const result = await t.invoke(slackEvent(formBody(blockAction('aios_approve', ID))));
    expect(result).toMatchObject({ statusCode: 200, body: '' });
    expect(t.records.get(ID)?.status).toBe('APPROVED');
    expect(t.lines.some((l) => l.level === 'warn' && /chat.update did not finish/.test(l.message))).toBe(
      true,
    );
    await new Promise((resolve) => setTimeout(resolve, 600));
  });
});

describe('Slack interactions: edit, then approve', () => {
  it('opens the edit modal for the trigger id, and decides nothing yet', async () => {
    const t = setup();
    const result = await t.invoke(slackEvent(formBody(blockAction('aios_edit', ID))));
    expect(result).toMatchObject({ statusCode: 200, body: '' });
    expect(t.modals).toHaveLength(1);
    expect(t.modals[0]?.triggerId).toBe('123.456.trigger');
    expect(t.modals[0]?.view).toMatchObject({ callback_id: 'aios_edit_submit', private_metadata: ID });
    expect(t.decideCalls).toEqual([]);
  });

  it('decides with the edited params on submission, and updates the request message', async () => {
    const t = setup();
    const result = await t.invoke(
      slackEvent(formBody(viewSubmission(ID, { amount: '1200', memo: 'Setup fee, discounted' }))),
    );
    expect(result).toMatchObject({ statusCode: 200, body: '' });
    expect(t.decideCalls).toEqual([
      {
        approvalId: ID,
        request: {
          outcome: 'approved',
          channel: 'slack',
          by: APPROVER,
          editedParams: { amount: 1200, memo: 'Setup fee, discounted' },
        },
      },
    ]);
    expect(t.updates[0]).toMatchObject({ channel: 'C0APPROVALS', ts: '1795600000.000100' });
    expect(JSON.stringify(t.updates[0]?.blocks)).toContain('Approved with edits by');
  });

  it('shows an invalid edit beside its field and records nothing', async () => {
    const t = setup();
    const result = await t.invoke(slackEvent(formBody(viewSubmission(ID, { amount: '-5', memo: 'x' }))));
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toEqual({
      response_action: 'errors',
      errors: { 'param:amount': 'amount: must be a positive number' },
    });
    expect(t.records.get(ID)?.status).toBe('PENDING');
  });

  it('turns the modal into "already decided" when the request was decided meanwhile', async () => {
    const t = setup();
    await t.invoke(slackEvent(formBody(blockAction('aios_reject', ID))));
    const result = await t.invoke(slackEvent(formBody(viewSubmission(ID, { amount: '1200' }))));
    expect(bodyOf(result)).toMatchObject({ response_action: 'update', view: { type: 'modal' } });
    expect(JSON.stringify(bodyOf(result).view)).toContain('Rejected by');
    expect(t.decideCalls).toHaveLength(1);
  });
});
