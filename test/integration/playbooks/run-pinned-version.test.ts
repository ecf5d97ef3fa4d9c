import { afterEach, describe, expect, it } from 'vitest';
import type { Approval } from '../../../functions/core/approvals/approval.ts';
import type { RunDetails } from '../../../functions/core/runs-service.ts';
import { shippedOperatorPolicy } from '../../../functions/shipped-playbooks.ts';
import { type LocalRuntime, startLocalRuntime } from '../../../lib/local/runtime.ts';
import invoiceFollowUp from '../../../playbooks/invoice-follow-up.json' with { type: 'json' };
import { api, waitForRun } from '../../support/local-runtime.ts';

// A run is pinned at its start to the registry's newest version of its playbook and every later
// step (planner, executor, approvals, monitor) reads that version, whatever is pushed meanwhile.

let runtime: LocalRuntime | undefined;
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
});

const shipped = invoiceFollowUp.version;
/** The next version records a different note and no longer calls the mailer (so it needs no approval). */
const next = {
  ...structuredClone(invoiceFollowUp),
  version: shipped + 1,
  description: 'Record the follow-up only',
  allowedActions: ['model.draft', 'state.upsert'],
  steps: [
    invoiceFollowUp.steps[0],
    {
      id: 'record-follow-up',
      title: 'Record the follow-up on the invoice',
      action: 'state.upsert',
      params: {
        entityType: 'invoice',
        entityId: '{{input.invoiceId}}',
        data: { lastReminderRun: '{{run.id}}', followUp: 'noted-only' },
      },
    },
  ],
};

async function start(invoiceId: string): Promise<string> {
  const started = await api<{ runId: string }>(runtime as LocalRuntime, 'POST', '/runs', {
    workflow: 'invoice-follow-up',
    input: {
      invoiceId,
      customerId: 'acme',
      reminderWebhookUrl: `${(runtime as LocalRuntime).url}/local/webhooks/mailer`,
    },
  });
  expect(started.status).toBe(202);
  return started.body.runId;
}

async function pendingApprovalOf(runId: string): Promise<Approval> {
  for (let i = 0; i < 1500; i += 1) {
    const { approvals } = (await api<{ approvals: Approval[] }>(runtime as LocalRuntime, 'GET', '/approvals'))
      .body;
    const found = approvals.find((a) => a.runId === runId && a.status === 'PENDING');
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`run ${runId} never asked for approval`);
}

describe('a run keeps the playbook version it started with', () => {
  it('a push while a run waits for approval: the waiting run finishes on its version, the next run uses the new one', async () => {
    runtime = await startLocalRuntime({
      port: 0,
      timeScale: 0.01,
      pollIntervalMs: 20,
      // The mailer call waits for the operator, so the run is paused when the new version arrives.
      operatorPolicy: {
        ...shippedOperatorPolicy,
        rules: [
          { action: 'http.request', decision: 'needs-approval', reason: 'the mailer reaches customers' },
        ],
      },
    });
    const waiting = await start('inv-waiting');
    const approval = await pendingApprovalOf(waiting);

    expect((await api(runtime, 'POST', '/playbooks', next)).status).toBe(201);
    const following = await start('inv-next');
    const nextRun = await waitForRun(runtime, following);
    expect(nextRun.run).toMatchObject({ status: 'SUCCEEDED', workflowVersion: shipped + 1 });
    expect(nextRun.intents.map((i) => i.action.type)).toEqual(['model.draft', 'state.upsert']);

    const decided = await api(runtime, 'POST', `/approvals/${approval.approvalId}/decision`, {
      decision: 'approve',
    });
    expect(decided.status).toBe(200);
    const waited = await waitForRun(runtime, waiting);
    expect(waited.run).toMatchObject({ status: 'SUCCEEDED', workflowVersion: shipped });
    expect(waited.intents.map((i) => [i.action.type, i.status])).toEqual([
      ['model.draft', 'SUCCEEDED'],
      ['http.request', 'SUCCEEDED'],
      ['state.upsert', 'SUCCEEDED'],
    ]);
    expect((await runtime.store.getEntity('invoice', 'inv-waiting'))?.data).toMatchObject({
      followUp: 'reminder-sent',
    });
    expect((await runtime.store.getEntity('invoice', 'inv-next'))?.data).toMatchObject({
      followUp: 'noted-only',
    });
    const details = (await api<RunDetails>(runtime, 'GET', `/runs/${waiting}`)).body;
    expect(details.run.workflowVersion).toBe(shipped);
    // Two runs of a playbook with a drafted step, one after an approval: seconds each on a busy machine.
  }, 120_000);
});
