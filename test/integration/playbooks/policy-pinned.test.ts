import { afterEach, describe, expect, it } from 'vitest';
import type { Approval } from '../../../functions/core/approvals/approval.ts';
import { shippedOperatorPolicy } from '../../../functions/shipped-playbooks.ts';
import type { LocalRuntime } from '../../../lib/local/runtime.ts';
import { api, scenarioWorkflow, startTestRuntime, waitForRun } from '../../support/local-runtime.ts';

// A run is pinned at its start to the registry's newest operator policy, as to its playbook's
// version: every later step and approval reads that policy version, whatever is pushed meanwhile.

let runtime: LocalRuntime | undefined;
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
});

/** Call the hook (held for approval by the workflow), then record the invoice (allowed by policy v1). */
const workflow = scenarioWorkflow({
  policy: { rules: [{ action: 'http.request', decision: 'needs-approval', reason: 'reaches a customer' }] },
  steps: [
    {
      id: 'call-hook',
      title: 'Call the webhook',
      action: 'http.request',
      params: { url: '{{input.hook}}', method: 'POST', body: { hello: 'world' } },
      expect: { status: [200, 201, 202, 204] },
    },
    {
      id: 'record-invoice',
      title: 'Record the invoice',
      action: 'state.upsert',
      params: { entityType: 'invoice', entityId: '{{run.id}}', data: { amount: 1500 } },
    },
  ],
});

/** Version 2 freezes the records: an operator deny wins over every workflow. */
const frozen = {
  ...shippedOperatorPolicy,
  rules: [{ action: 'state.upsert', decision: 'deny', reason: 'the books are frozen' }],
};

async function start(rt: LocalRuntime): Promise<string> {
  const started = await api<{ runId: string }>(rt, 'POST', '/runs', {
    workflow: 'scenario',
    input: { hook: `${rt.url}/local/webhooks/mailer` },
  });
  expect(started.status).toBe(202);
  return started.body.runId;
}

async function pendingApprovalOf(rt: LocalRuntime, runId: string): Promise<Approval> {
  for (let i = 0; i < 1500; i += 1) {
    const { approvals } = (await api<{ approvals: Approval[] }>(rt, 'GET', '/approvals')).body;
    const found = approvals.find((a) => a.runId === runId && a.status === 'PENDING');
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`run ${runId} never asked for approval`);
}

const approve = (rt: LocalRuntime, approval: Approval) =>
  api(rt, 'POST', `/approvals/${approval.approvalId}/decision`, { decision: 'approve' });

describe('a run keeps the operator policy version it started with', () => {
  it('a policy push while a run waits for approval: the waiting run finishes under the old policy, the next run under the new', async () => {
    const rt = await startTestRuntime({ workflows: [workflow] });
    runtime = rt;
    const waiting = await start(rt);
    const held = await pendingApprovalOf(rt, waiting);

    const pushed = await api<{ version: number }>(rt, 'PUT', '/policy', {
      policy: frozen,
      reason: 'year end',
    });
    expect(pushed.status).toBe(201);
    expect(pushed.body.version).toBe(2);

    expect((await approve(rt, held)).status).toBe(200);
    const waited = await waitForRun(rt, waiting);
    expect(waited.run).toMatchObject({ status: 'SUCCEEDED', policyVersion: 1 });
    expect(waited.intents.map((i) => [i.stepId, i.decision, i.status])).toEqual([
      ['call-hook', 'allow', 'SUCCEEDED'],
      ['record-invoice', 'allow', 'SUCCEEDED'],
    ]);

    const following = await start(rt);
    expect((await approve(rt, await pendingApprovalOf(rt, following))).status).toBe(200);
    const next = await waitForRun(rt, following);
    expect(next.run).toMatchObject({ status: 'FAILED', policyVersion: 2 });
    expect(next.intents.find((i) => i.stepId === 'record-invoice')).toMatchObject({
      decision: 'deny',
      reason: 'operator policy: the books are frozen',
    });
  }, 120_000);
});
