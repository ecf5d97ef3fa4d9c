import { afterEach, describe, expect, it } from 'vitest';
import type { Approval } from '../../../functions/core/approvals/approval.ts';
import type { PolicyVersion } from '../../../functions/core/ports.ts';
import { shippedOperatorPolicy } from '../../../functions/shipped-playbooks.ts';
import type { LocalRuntime } from '../../../lib/local/runtime.ts';
import { api, scenarioWorkflow, startTestRuntime } from '../../support/local-runtime.ts';

// The operator policy lives in the registry: GET/PUT /policy, versioned with who and why, and every
// decision and approval request reads the newest, so approvers change without a deploy.

let runtime: LocalRuntime | undefined;
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
});

const needsApproval = scenarioWorkflow({
  inputSchema: { type: 'object', properties: {} },
  allowedActions: ['state.upsert'],
  policy: { rules: [{ action: 'state.upsert', decision: 'needs-approval', reason: 'checked first' }] },
  steps: [
    {
      id: 'record-invoice',
      title: 'Record the invoice',
      action: 'state.upsert',
      params: { entityType: 'invoice', entityId: '{{run.id}}', data: { amount: 1500 } },
    },
  ],
});

async function approvalOf(rt: LocalRuntime, runId: string): Promise<Approval> {
  for (let i = 0; i < 1500; i += 1) {
    const { approvals } = (await api<{ approvals: Approval[] }>(rt, 'GET', '/approvals')).body;
    const found = approvals.find((a) => a.runId === runId);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`run ${runId} never asked for approval`);
}

describe('the operator policy over HTTP', () => {
  it('a pushed policy names the approvers of the next approval request, with who pushed it and why', async () => {
    runtime = await startTestRuntime({ workflows: [needsApproval] });
    const seeded = await api<PolicyVersion>(runtime, 'GET', '/policy');
    expect(seeded.body).toMatchObject({ version: 1, pushedBy: 'seed' });

    const approvers = { slackUserIds: ['U0NEWBOSS'], emails: ['boss@acme.example'] };
    const pushed = await api<PolicyVersion & { status: string }>(runtime, 'PUT', '/policy', {
      policy: { ...shippedOperatorPolicy, approvers },
      reason: 'the new boss approves',
    });
    expect(pushed.status).toBe(201);
    expect(pushed.body).toMatchObject({
      status: 'pushed',
      version: 2,
      pushedBy: 'operator',
      reason: 'the new boss approves',
    });
    const again = await api<{ status: string }>(runtime, 'PUT', '/policy', {
      policy: { ...shippedOperatorPolicy, approvers },
      reason: 'same again',
    });
    expect(again).toMatchObject({ status: 200, body: { status: 'unchanged', version: 2 } });

    const started = await api<{ runId: string }>(runtime, 'POST', '/runs', {
      workflow: 'scenario',
      input: {},
    });
    const approval = await approvalOf(runtime, started.body.runId);
    expect(approval.approvers).toEqual(approvers);
    const first = await api<PolicyVersion>(runtime, 'GET', '/policy?version=1');
    expect(first.body.policy.approvers).toEqual(shippedOperatorPolicy.approvers);
    expect((await api(runtime, 'GET', '/policy?version=9')).status).toBe(404);
  });

  it('refuses a bad policy with every problem named, and keeps the one in force', async () => {
    runtime = await startTestRuntime();
    const bad = await api<{ message: string }>(runtime, 'PUT', '/policy', {
      policy: {
        ...shippedOperatorPolicy,
        byRisk: { ...shippedOperatorPolicy.byRisk, money: 'maybe' },
        approvers: { slackUserIds: ['bob'], emails: ['nobody'] },
      },
      reason: 'try',
    });
    expect(bad.status).toBe(400);
    for (const field of ['byRisk.money', 'approvers.slackUserIds.0', 'approvers.emails.0'])
      expect(bad.body.message).toContain(field);
    const unknownAction = await api<{ message: string }>(runtime, 'PUT', '/policy', {
      policy: { ...shippedOperatorPolicy, rules: [{ action: 'fax.send', decision: 'deny', reason: 'no' }] },
      reason: 'try',
    });
    expect(unknownAction.status).toBe(400);
    expect(unknownAction.body.message).toContain('rules.0.action: fax.send is not an action aios knows');
    const noReason = await api<{ message: string }>(runtime, 'PUT', '/policy', {
      policy: shippedOperatorPolicy,
    });
    expect(noReason.status).toBe(400);
    expect(noReason.body.message).toContain('reason');
    expect((await api<PolicyVersion>(runtime, 'GET', '/policy')).body.version).toBe(1);
  });
});
