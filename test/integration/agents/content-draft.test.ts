import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MemoryItem } from '../../../functions/core/memory/schemas.ts';
import type { LocalRuntime } from '../../../lib/local/runtime.ts';
import contentDraft from '../../../playbooks/content-draft.json' with { type: 'json' };
import { api, startTestRuntime, waitForRun } from '../../support/local-runtime.ts';

let runtime: LocalRuntime | undefined;
let dataDir: string | undefined;
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

const INPUT = { topic: 'the handoff inbox', publishTo: 'readers@example.com' };
const emails = (dir: string) => {
  const outbox = join(dir, 'outbox', 'email');
  try {
    return (
      readdirSync(outbox)
        .filter((f) => f.endsWith('.eml'))
        .map((f) => readFileSync(join(outbox, f), 'utf8'))
        // The approval's magic links land in the same outbox: only the published posts count.
        .filter((eml) => /^To: .*readers@example\.com/m.test(eml))
    );
  } catch {
    return [];
  }
};

async function pendingApprovalOf(rt: LocalRuntime, runId: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const pending = (await rt.approvals.listPending()).find((a) => a.runId === runId);
    if (pending) return pending;
    if (Date.now() > deadline) throw new Error(`run ${runId} never asked for approval`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('content-draft with the offline model', () => {
  it('EditThenApprove: drafts, holds the draft for approval, publishes the edited text once, and the next draft starts from the edit', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'aios-content-'));
    runtime = await startTestRuntime({ workflows: [contentDraft], dataDir });
    const rt = runtime;
    await api(rt, 'POST', '/memory', {
      namespace: 'operator',
      kind: 'decision',
      tier: 'working',
      text: 'We decided to ship the handoff inbox on Friday',
    });

    // Run 1: the draft comes from the instructions and the week's decision; the operator edits it.
    const first = (
      await api<{ runId: string }>(rt, 'POST', '/runs', { workflow: 'content-draft', input: INPUT })
    ).body.runId;
    const approval = await pendingApprovalOf(rt, first);
    const drafted = String(approval.action.params.text);
    expect(drafted).toContain('Write a short post (under 150 words) about the handoff inbox');
    expect(drafted).toContain('- We decided to ship the handoff inbox on Friday');
    const edited = 'This week we shipped the handoff inbox: when the model fails, you finish the step.';
    await rt.approvals.decide(approval.approvalId, {
      outcome: 'approved',
      channel: 'api',
      by: 'operator',
      editedParams: { text: edited },
    });
    const done = await waitForRun(rt, first);
    expect(done.run.status).toBe('SUCCEEDED');
    const sent = emails(dataDir);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toContain('when the model fails, you finish the step.');
    expect(sent[0]).not.toContain('Write a short post');

    // The edit is in long-term memory with its origin, and so is the change itself.
    const found = (
      await api<{ hits: MemoryItem[] }>(
        rt,
        'GET',
        `/memory/search?q=${encodeURIComponent('handoff inbox post')}&namespace=operator&kind=draft-edit,draft-diff`,
      )
    ).body.hits;
    const edit = found.find((m) => m.kind === 'draft-edit');
    expect(edit).toMatchObject({ tier: 'long-term', text: edited, origin: { runId: first, stepIndex: 1 } });
    expect(found.find((m) => m.kind === 'draft-diff')?.text).toContain(`+ ${edited}`);

    // Run 2: the draft is the operator's own wording, and the journal shows where it came from.
    const second = (
      await api<{ runId: string }>(rt, 'POST', '/runs', { workflow: 'content-draft', input: INPUT })
    ).body.runId;
    const next = await pendingApprovalOf(rt, second);
    expect(next.action.params.text).toBe(edited);
    const details = (
      await api<{ journal: { kind: string; data?: Record<string, unknown> }[] }>(rt, 'GET', `/runs/${second}`)
    ).body;
    const retrieval = details.journal.find((e) => e.kind === 'retrieval' && e.data?.purpose === 'draft');
    const candidates = retrieval?.data?.candidates as {
      id: string;
      kind: string;
      score: number;
      origin: unknown;
    }[];
    const used = candidates.find((c) => c.id === edit?.id);
    expect(used).toMatchObject({ kind: 'draft-edit', origin: { runId: first, stepIndex: 1 } });
    expect(used?.score).toBeGreaterThan(0);
    await rt.approvals.decide(next.approvalId, { outcome: 'approved', channel: 'api', by: 'operator' });
    expect((await waitForRun(rt, second)).run.status).toBe('SUCCEEDED');
    expect(emails(dataDir)).toHaveLength(2);
  });
});
