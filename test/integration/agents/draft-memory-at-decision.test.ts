import { afterEach, describe, expect, it } from 'vitest';
import type { MemoryItem } from '../../../functions/core/memory/schemas.ts';
import type { LocalRuntime } from '../../../lib/local/runtime.ts';
import contentDraft from '../../../playbooks/content-draft.json' with { type: 'json' };
import { api, startTestRuntime, until, waitForRun } from '../../support/local-runtime.ts';

let runtime: LocalRuntime | undefined;
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
});

/** content-draft with one more step after the post goes out, which the policy denies: the run fails after the approval. */
const failsAfterPublishing = {
  ...contentDraft,
  allowedActions: [...contentDraft.allowedActions, 'http.request'],
  policy: {
    rules: [
      ...contentDraft.policy.rules,
      { action: 'http.request', decision: 'deny', reason: 'nothing is announced yet' },
    ],
  },
  steps: [
    ...contentDraft.steps,
    {
      id: 'announce',
      title: 'Announce the post',
      action: 'http.request',
      params: { method: 'POST', url: 'http://127.0.0.1:9/announce', body: { posted: true } },
    },
  ],
};
const INPUT = { topic: 'the handoff inbox', publishTo: 'readers@example.com' };

/** The run's approval, once it waits for one. */
const pendingApprovalOf = (rt: LocalRuntime, runId: string) =>
  until(`run ${runId} to ask for approval`, async () =>
    (await rt.approvals.listPending()).find((a) => a.runId === runId),
  );

describe('drafts reach long-term memory when the operator decides, however the run ends', () => {
  it('EditThenApproveThenFail: the edit is remembered once and the next draft starts from it', async () => {
    runtime = await startTestRuntime({ workflows: [failsAfterPublishing] });
    const rt = runtime;
    const first = (
      await api<{ runId: string }>(rt, 'POST', '/runs', { workflow: 'content-draft', input: INPUT })
    ).body.runId;
    const approval = await pendingApprovalOf(rt, first);
    const edited = 'This week we shipped the handoff inbox: when the model fails, you finish the step.';
    const decision = {
      outcome: 'approved' as const,
      channel: 'api' as const,
      by: 'operator',
      editedParams: { text: edited },
    };
    await rt.approvals.decide(approval.approvalId, decision);
    // A retried decision (a second click, a redelivered request) changes nothing.
    await rt.approvals.decide(approval.approvalId, decision);
    const failed = await waitForRun(rt, first);
    expect(failed.run.status).toBe('FAILED');

    const hits = (
      await api<{ hits: MemoryItem[] }>(
        rt,
        'GET',
        `/memory/search?q=${encodeURIComponent('handoff inbox post')}&namespace=operator&kind=draft-edit,draft-diff`,
      )
    ).body.hits;
    const edit = hits.find((m) => m.kind === 'draft-edit');
    expect(edit).toMatchObject({ tier: 'long-term', text: edited, origin: { runId: first, stepIndex: 1 } });
    expect(hits.find((m) => m.kind === 'draft-diff')?.text).toContain(`+ ${edited}`);
    // Written once: one version of each item.
    const history = await api<{ versions: unknown[] }>(rt, 'GET', `/memory/${edit?.id}/history`);
    expect(history.body.versions).toHaveLength(1);

    const second = (
      await api<{ runId: string }>(rt, 'POST', '/runs', { workflow: 'content-draft', input: INPUT })
    ).body.runId;
    const next = await pendingApprovalOf(rt, second);
    expect(next.action.params.text).toBe(edited);
  });
});
