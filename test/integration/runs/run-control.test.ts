import { afterEach, describe, expect, it } from 'vitest';
import type { Approval } from '../../../functions/core/approvals/approval.ts';
import type { CancelledRun } from '../../../functions/core/run-control/run-control.ts';
import type { RunDetails } from '../../../functions/core/runs-service.ts';
import type { AuditEntry, Run } from '../../../functions/core/schemas.ts';
import type { LocalRuntime } from '../../../lib/local/runtime.ts';
import { api, scenarioWorkflow, startTestRuntime, waitForRun } from '../../support/local-runtime.ts';
import { startWebhookServer, type WebhookServer } from '../../support/webhook-server.ts';

let runtime: LocalRuntime | undefined;
let hooks: WebhookServer | undefined;
afterEach(async () => {
  await runtime?.close();
  await hooks?.close();
  runtime = undefined;
  hooks = undefined;
});

/** Saves a customer, then emails them: the email needs approval. */
const approvalWorkflow = scenarioWorkflow({
  inputSchema: { type: 'object' },
  allowedActions: ['state.upsert', 'email.send'],
  policy: {
    rules: [{ action: 'email.send', decision: 'needs-approval', reason: 'emails are checked first' }],
  },
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

/** Five webhook calls, one path each, so the provider counts each step's deliveries. */
const fiveSteps = scenarioWorkflow({
  name: 'five-steps',
  steps: [1, 2, 3, 4, 5].map((n) => ({
    id: `call-${n}`,
    title: `Call ${n}`,
    action: 'http.request',
    params: { url: `{{input.hook}}/s${n}`, method: 'POST', body: { step: n } },
    expect: { status: [200, 201] },
  })),
});

async function waitFor<T>(what: string, read: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 500; i += 1) {
    const value = await read();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const deliveriesTo = (server: WebhookServer, path: string) =>
  server.deliveries.filter((d) => d.path === path).length;

describe('run control on the local runtime', () => {
  it('CancelCompensates: a playbook with compensateOnFailure has the effects already made undone, and the run stays CANCELLED', async () => {
    const rt = await startTestRuntime({
      workflows: [{ ...approvalWorkflow, compensateOnFailure: true }],
    });
    runtime = rt;
    const { runId } = (await api<{ runId: string }>(rt, 'POST', '/runs', { workflow: 'scenario', input: {} }))
      .body;
    await waitFor('the approval request', async () =>
      (await api<{ approvals: Approval[] }>(rt, 'GET', '/approvals')).body.approvals.find(
        (a) => a.runId === runId,
      ),
    );
    expect((await rt.store.getEntity('customer', 'acme'))?.data).toEqual({ name: 'Acme' });

    const cancelled = await api<CancelledRun>(rt, 'POST', `/runs/${runId}/cancel`, {});
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.compensation).toBe(`${runId}_compensate`);

    // The compensation execution undoes the save (the customer did not exist before: a tombstone).
    const compensation = await rt.stepFunctions.waitForExecution(
      rt.executionArnFor(`${runId}_compensate`),
      20_000,
    );
    expect(compensation.status).toBe('FAILED'); // it ends the way of a failed run: through "Run failed"
    const undo = await waitFor('the compensating intent', async () =>
      (await rt.store.listIntents(runId)).find((i) => i.compensates === 0 && i.status === 'SUCCEEDED'),
    );
    expect(undo).toMatchObject({ stepIndex: 1000, action: { type: 'state.revert' } });
    expect(undo.reason).toMatch(/because run \S+ was cancelled/);
    expect(await rt.store.getEntity('customer', 'acme')).toMatchObject({
      version: 2,
      data: { deleted: true },
    });
    const run = (await api<RunDetails>(rt, 'GET', `/runs/${runId}`)).body.run;
    expect(run).toMatchObject({ status: 'CANCELLED', cancellation: { compensation: `${runId}_compensate` } });
    expect(run.failure).toBeUndefined();
    // `aios history` reads the compensation execution with the run's first one.
    const history = (await api<{ events: { stateName?: string }[] }>(rt, 'GET', `/runs/${runId}/history`))
      .body;
    expect(history.events.map((e) => e.stateName)).toEqual(
      expect.arrayContaining(['Plan steps', 'Compensate each']),
    );
    // The email waiting for approval was never sent, nor undone.
    expect((await rt.store.listIntents(runId)).find((i) => i.stepIndex === 1)?.status).toBe(
      'AWAITING_APPROVAL',
    );
  }, 60_000);

  it('CancelledWhileWaiting: the approval is withdrawn, its magic link decides nothing, the run is CANCELLED with its effects listed', async () => {
    const links: string[] = [];
    const rt = await startTestRuntime({
      workflows: [approvalWorkflow],
      onApprovalLink: (_a, _e, link) => links.push(link),
    });
    runtime = rt;
    const { runId } = (await api<{ runId: string }>(rt, 'POST', '/runs', { workflow: 'scenario', input: {} }))
      .body;
    const approval = await waitFor('the approval request', async () =>
      (await api<{ approvals: Approval[] }>(rt, 'GET', '/approvals')).body.approvals.find(
        (a) => a.runId === runId && a.history.some((h) => h.event === 'notified'),
      ),
    );
    const link = await waitFor('the magic link', async () => links[0]);

    const cancelled = await api<CancelledRun>(rt, 'POST', `/runs/${runId}/cancel`, {
      reason: 'wrong customer',
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.run).toMatchObject({
      status: 'CANCELLED',
      cancellation: { by: 'operator', reason: 'wrong customer' },
    });
    expect(cancelled.body.withdrawn.approvals).toEqual([approval.approvalId]);
    expect(cancelled.body.effects).toEqual([
      { stepIndex: 0, stepId: 'save-customer', actionType: 'state.upsert' },
    ]);

    // The execution is stopped, and its end does not turn the run into a failure.
    const execution = await rt.stepFunctions.waitForExecution(rt.executionArnFor(runId), 10_000);
    expect(execution.status).toBe('ABORTED');

    // The link now says the run was cancelled; neither a GET nor a POST decides anything.
    const shown = await fetch(link);
    expect(shown.status).toBe(410);
    expect(await shown.text()).toMatch(/run was cancelled/i);
    const token = new URL(link).searchParams.get('token') ?? '';
    const posted = await fetch(link.split('?')[0] as string, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, decision: 'approve' }).toString(),
    });
    expect(posted.status).toBe(410);
    expect(await posted.text()).toMatch(/run was cancelled/i);
    const byApi = await api<{ message: string }>(rt, 'POST', `/approvals/${approval.approvalId}/decision`, {
      decision: 'approve',
    });
    expect(byApi.status).toBe(409);
    expect(byApi.body.message).toMatch(/was cancelled/);
    const after = (await api<{ approval: Approval }>(rt, 'GET', `/approvals/${approval.approvalId}`)).body
      .approval;
    expect(after.status).toBe('WITHDRAWN');
    expect(after.decision).toBeUndefined();
    expect((await api<{ approvals: Approval[] }>(rt, 'GET', '/approvals')).body.approvals).toEqual([]);

    const details = (await api<RunDetails>(rt, 'GET', `/runs/${runId}`)).body;
    expect(details.run.status).toBe('CANCELLED');
    expect(details.run.failure).toBeUndefined();
    expect(details.intents[1]?.status).toBe('AWAITING_APPROVAL');
    expect(details.journal.map((j) => j.message)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/effects already made: step 1 save-customer \(state\.upsert\)/),
      ]),
    );
    const audit = (await api<{ entries: AuditEntry[] }>(rt, 'GET', `/runs/${runId}/audit`)).body.entries;
    expect(audit.map((a) => a.outcome)).toContain('withdrawn');
    expect(audit.map((a) => a.outcome)).not.toContain('approved');

    // A run that has ended cannot be cancelled again.
    expect((await api(rt, 'POST', `/runs/${runId}/cancel`)).status).toBe(409);
  });

  it('RetriedFromFailedStep: a run that failed at step 3 of 5 goes on from step 3; steps 1 and 2 are delivered once', async () => {
    const server = await startWebhookServer();
    hooks = server;
    const rt = await startTestRuntime({ workflows: [fiveSteps] });
    runtime = rt;
    // A 4xx is a permanent failure: step 3 fails and the run with it.
    server.failNext('/s3', 1, 400);
    const { runId } = (
      await api<{ runId: string }>(rt, 'POST', '/runs', {
        workflow: 'five-steps',
        input: { hook: server.url },
      })
    ).body;
    const failed = await waitForRun(rt, runId);
    expect(failed.run.status).toBe('FAILED');
    await rt.stepFunctions.waitForExecution(rt.executionArnFor(runId), 10_000);
    expect([1, 2, 3, 4, 5].map((n) => deliveriesTo(server, `/s${n}`))).toEqual([1, 1, 1, 0, 0]);

    const retried = await api<{ run: Run }>(rt, 'POST', `/runs/${runId}/retry`);
    expect(retried.status).toBe(202);
    expect(retried.body.run.execution).toBe(`${runId}_retry1`);
    const done = await waitForRun(rt, runId);
    expect(done.run.failure?.account ?? 'no failure').toBe('no failure');
    expect(done.run).toMatchObject({ status: 'SUCCEEDED', attempt: 2 });
    // Steps 1-2 once, step 3 the failed delivery and the retried one, steps 4-5 once.
    expect([1, 2, 3, 4, 5].map((n) => deliveriesTo(server, `/s${n}`))).toEqual([1, 1, 2, 1, 1]);
    expect([...server.effects.values()]).toEqual([1, 1, 1, 1, 1]);
    const audit = (await api<{ entries: AuditEntry[] }>(rt, 'GET', `/runs/${runId}/audit`)).body.entries;
    // Executed once each; the retry got steps 1-2 from their recorded results.
    expect(audit.filter((a) => a.outcome === 'executed').map((a) => a.stepIndex)).toEqual([0, 1, 2, 3, 4]);
    // The history has both executions: the failed one, then the retry's.
    const history = (await api<{ events: { type: string }[] }>(rt, 'GET', `/runs/${runId}/history`)).body
      .events;
    expect(history.filter((e) => e.type === 'ExecutionStarted')).toHaveLength(2);

    // A succeeded run is not retried.
    const again = await api<{ message: string }>(rt, 'POST', `/runs/${runId}/retry`);
    expect(again.status).toBe(409);
    expect(again.body.message).toMatch(/only a failed run can be retried/);
  });

  it('Rerun: a new run with the input edited, linked to the old one', async () => {
    const server = await startWebhookServer();
    hooks = server;
    const other = await startWebhookServer();
    const rt = await startTestRuntime();
    runtime = rt;
    try {
      const { runId } = (
        await api<{ runId: string }>(rt, 'POST', '/runs', {
          workflow: 'scenario',
          input: { hook: server.url },
        })
      ).body;
      expect((await waitForRun(rt, runId)).run.status).toBe('SUCCEEDED');
      const rerun = await api<{ runId: string; rerunOf: string }>(rt, 'POST', `/runs/${runId}/rerun`, {
        set: { hook: other.url },
      });
      expect(rerun.status).toBe(202);
      expect(rerun.body.runId).not.toBe(runId);
      const details = await waitForRun(rt, rerun.body.runId);
      expect(details.run).toMatchObject({ status: 'SUCCEEDED', rerunOf: runId, input: { hook: other.url } });
      expect(other.deliveries).toHaveLength(1);
      expect(server.deliveries).toHaveLength(1);
      const bad = await api<{ message: string }>(rt, 'POST', `/runs/${runId}/rerun`, { set: { hook: 12 } });
      expect(bad.status).toBe(400);
      expect(bad.body.message).toMatch(/hook/);
    } finally {
      await other.close();
    }
  });
});
