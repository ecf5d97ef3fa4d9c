import { afterEach, describe, expect, it } from 'vitest';
import { signSlackRequest } from '../../../functions/approvals/slack/signature.ts';
import type { Approval } from '../../../functions/core/approvals/approval.ts';
import type { RunDetails } from '../../../functions/core/runs-service.ts';
import type { LocalRuntime } from '../../../lib/local/runtime.ts';
import { api, scenarioWorkflow, startTestRuntime, waitForRun } from '../../support/local-runtime.ts';

let runtime: LocalRuntime | undefined;
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
});

const OPERATOR_EMAIL = 'operator@localhost.example';

/** Saves a customer, then sends them an email that the workflow says needs approval. */
function approvalWorkflow(escalation: Record<string, unknown> = {}, channels = ['slack', 'email']) {
  return scenarioWorkflow({
    inputSchema: { type: 'object' },
    allowedActions: ['state.upsert', 'email.send'],
    policy: {
      rules: [
        { action: 'email.send', decision: 'needs-approval', reason: 'emails to customers are checked first' },
      ],
    },
    approval: { channels, editable: { 'email.send': ['subject', 'text'] }, escalation },
    steps: [
      {
        id: 'save-customer',
        title: 'Save the customer',
        action: 'state.upsert',
        params: { entityType: 'customer', entityId: 'acme', data: { name: 'Acme' } },
      },
      {
        id: 'send-invoice',
        title: 'Send the first invoice',
        action: 'email.send',
        params: { to: ['billing@acme.example'], subject: 'Invoice 0001', text: 'Please find your invoice.' },
      },
    ],
  });
}

async function startPaused(options: Parameters<typeof startTestRuntime>[0] = {}) {
  const links: string[] = [];
  runtime = await startTestRuntime({
    workflows: [approvalWorkflow()],
    onApprovalLink: (_a, _e, link) => links.push(link),
    ...options,
  });
  const started = await api<{ runId: string }>(runtime, 'POST', '/runs', { workflow: 'scenario', input: {} });
  const runId = started.body.runId;
  let approval: Approval | undefined;
  for (let i = 0; i < 300 && !approval; i += 1) {
    // Ready once the approvers have been told (the record exists a moment before that).
    approval = (await api<{ approvals: Approval[] }>(runtime, 'GET', '/approvals')).body.approvals.find(
      (a) => a.runId === runId && a.history.some((h) => h.event === 'notified'),
    );
    if (!approval) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (!approval) throw new Error('no approval was requested');
  return { runtime, runId, approval, links };
}

describe('approval gates on the local runtime', () => {
  it('ApprovedByEmail: GET on the magic link only shows; the POST approves and the run goes on', async () => {
    const { runtime: rt, runId, approval, links } = await startPaused();
    expect(approval).toMatchObject({ status: 'PENDING', stepId: 'send-invoice', risk: 'external-message' });
    expect(approval.summary).toMatch(/Send the first invoice: email\.send/);
    expect(links).toHaveLength(1);
    const link = links[0] as string;
    expect(link).not.toMatch(/taskToken/);

    // A mail scanner's GETs: a page, no decision.
    for (let i = 0; i < 3; i += 1) {
      const page = await fetch(link);
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/Send the first invoice/);
    }
    expect(
      (await api<{ approval: Approval }>(rt, 'GET', `/approvals/${approval.approvalId}`)).body.approval
        .status,
    ).toBe('PENDING');

    const token = new URL(link).searchParams.get('token') ?? '';
    const posted = await fetch(link.split('?')[0] as string, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, decision: 'approve' }).toString(),
    });
    expect(posted.status).toBe(200);
    const details = await waitForRun(rt, runId);
    expect(details.run.failure?.account ?? 'no failure').toBe('no failure');
    expect(details.run.status).toBe('SUCCEEDED');
    expect(details.intents[1]).toMatchObject({ status: 'SUCCEEDED', decision: 'allow' });
    const audit = (
      await api<{ entries: { outcome: string; agent: string }[] }>(rt, 'GET', `/runs/${runId}/audit`)
    ).body.entries;
    expect(audit.map((a) => a.outcome)).toEqual(
      expect.arrayContaining(['needs-approval', 'approved', 'executed']),
    );
    expect(audit.find((a) => a.outcome === 'approved')?.agent).toBe(`email:${OPERATOR_EMAIL}`);
  });

  it('Rejected: the step is not executed and the run says who rejected it and why', async () => {
    const { runtime: rt, runId, approval } = await startPaused();
    const rejected = await api<{ approval: Approval }>(
      rt,
      'POST',
      `/approvals/${approval.approvalId}/decision`,
      {
        decision: 'reject',
        note: 'wrong amount',
      },
    );
    expect(rejected.status).toBe(200);
    const details = await waitForRun(rt, runId);
    expect(details.run.status).toBe('FAILED');
    expect(details.run.failure?.account).toMatch(
      /ApprovalRejectedError: rejected by operator via api: wrong amount/,
    );
    expect(details.intents[1]?.status).toBe('AWAITING_APPROVAL');
    expect(details.intents[1]?.result).toBeUndefined();
  });

  it('EditedThenApproved: the approver changes an editable field and the edited action is what runs', async () => {
    const { runtime: rt, runId, approval } = await startPaused();
    const badEdit = await api<{ message: string }>(rt, 'POST', `/approvals/${approval.approvalId}/decision`, {
      decision: 'approve',
      params: { to: ['someone-else@example.com'] },
    });
    expect(badEdit.status).toBe(400);
    expect(badEdit.body.message).toMatch(/to may not be edited/);
    const approved = await api(rt, 'POST', `/approvals/${approval.approvalId}/decision`, {
      decision: 'approve',
      params: { subject: 'Invoice 0001 (corrected)' },
    });
    expect(approved.status).toBe(200);
    const details = await waitForRun(rt, runId);
    expect(details.run.status).toBe('SUCCEEDED');
    expect(details.intents[1]?.action.params).toMatchObject({
      subject: 'Invoice 0001 (corrected)',
      to: ['billing@acme.example'],
    });
  });

  it('DecidedTwice: the first decision wins; a second, on any channel, is a clear no-op', async () => {
    const { runtime: rt, runId, approval, links } = await startPaused();
    expect(
      (await api(rt, 'POST', `/approvals/${approval.approvalId}/decision`, { decision: 'approve' })).status,
    ).toBe(200);
    const again = await api<{ message: string }>(rt, 'POST', `/approvals/${approval.approvalId}/decision`, {
      decision: 'reject',
    });
    expect(again.status).toBe(409);
    expect(again.body.message).toMatch(/already approved by operator/);
    const link = links[0] as string;
    const page = await fetch(link.split('?')[0] as string, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token: new URL(link).searchParams.get('token') ?? '',
        decision: 'reject',
      }).toString(),
    });
    expect(page.status).toBe(409);
    const html = await page.text();
    expect(html).toMatch(/<title>Already approved/);
    expect(html).toMatch(/operator/);
    expect((await waitForRun(rt, runId)).run.status).toBe('SUCCEEDED');
  });

  it('TimedOut: a Slack reminder, then an email, then automatic rejection, each on the record', async () => {
    const links: string[] = [];
    runtime = await startTestRuntime({
      workflows: [
        approvalWorkflow(
          { slackReminderAfterMinutes: 0.005, emailAfterMinutes: 0.01, expireAfterHours: 0.0005 },
          ['slack'],
        ),
      ],
      escalationIntervalMs: 100,
      onApprovalLink: (_a, _e, link) => links.push(link),
    });
    const started = await api<{ runId: string }>(runtime, 'POST', '/runs', {
      workflow: 'scenario',
      input: {},
    });
    const details: RunDetails = await waitForRun(runtime, started.body.runId);
    expect(details.run.status).toBe('FAILED');
    expect(details.run.failure?.account).toMatch(
      /ApprovalTimedOutError: nobody decided within 0\.0005 h: rejected automatically/,
    );
    const approval = (
      await api<{ approval: Approval }>(runtime, 'GET', `/approvals/${started.body.runId}-s1`)
    ).body.approval;
    expect(approval.status).toBe('EXPIRED');
    expect(approval.history.map((h) => h.event)).toEqual([
      'requested',
      'notified',
      'reminded',
      'escalated',
      'expired',
    ]);
    expect(links).toHaveLength(1); // the escalation email
    expect(details.intents[1]?.result).toBeUndefined();
  });

  it('ApprovedBySlack: a signed button click from an allow-listed user approves, and the message shows who decided', async () => {
    const { runtime: rt, runId, approval } = await startPaused();
    expect(approval.slackMessage).toBeDefined();
    const click = (
      userId: string,
      secret = rt.slackSigningSecret,
      timestamp = Math.floor(Date.now() / 1000),
    ) => {
      const payload = {
        type: 'block_actions',
        user: { id: userId },
        trigger_id: 'trigger-1',
        channel: { id: approval.slackMessage?.channel },
        message: { ts: approval.slackMessage?.ts },
        actions: [{ action_id: 'aios_approve', value: approval.approvalId }],
      };
      const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
      return fetch(`${rt.url}/slack/interactions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-slack-request-timestamp': String(timestamp),
          'x-slack-signature': signSlackRequest(secret, timestamp, body),
        },
        body,
      });
    };

    expect((await click('U0AIOSOPS', 'forged-secret')).status).toBe(401);
    expect(
      (await click('U0AIOSOPS', rt.slackSigningSecret, Math.floor(Date.now() / 1000) - 301)).status,
    ).toBe(401);
    const stranger = await click('U0STRANGER');
    expect(stranger.status).toBe(200);
    expect(await stranger.text()).toMatch(/not allowed to decide/);
    expect(
      (await api<{ approval: Approval }>(rt, 'GET', `/approvals/${approval.approvalId}`)).body.approval
        .status,
    ).toBe('PENDING');

    expect((await click('U0AIOSOPS')).status).toBe(200);
    const details = await waitForRun(rt, runId);
    expect(details.run.status).toBe('SUCCEEDED');
    const decided = (await api<{ approval: Approval }>(rt, 'GET', `/approvals/${approval.approvalId}`)).body
      .approval;
    expect(decided.decision).toMatchObject({ outcome: 'approved', channel: 'slack', by: 'U0AIOSOPS' });
    expect(decided.history.map((h) => h.event)).toEqual(['requested', 'notified', 'approved']);
  });
});
