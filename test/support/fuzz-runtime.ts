import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Approval } from '../../functions/core/approvals/approval.ts';
import type { MemoryItem } from '../../functions/core/memory/schemas.ts';
import { ACTION_QUEUE } from '../../lib/local/runtime.ts';
import { api, startTestRuntime } from './local-runtime.ts';
import { type FuzzTargets, snapshotState } from './route-fuzz.ts';

/**
 * Saves a customer, then emails them after an approval: a run that waits, with fields to edit. It
 * declares no input, so any input starts it.
 */
const fuzzWorkflow = () => ({
  name: 'fuzz',
  version: 1,
  description: 'Save a customer, then email them once the operator approves.',
  allowedActions: ['state.upsert', 'email.send'],
  policy: { rules: [{ action: 'email.send', decision: 'needs-approval', reason: 'checked first' }] },
  approval: { channels: ['slack', 'email'], editable: { 'email.send': ['subject', 'text', 'to'] } },
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

export interface FuzzEnvironment extends FuzzTargets {
  outboxDir: string;
  /** Waits until nothing changes any more (a run a request started has settled) and returns that state. */
  settled(): Promise<string>;
  close(): Promise<void>;
}

/**
 * A local runtime on its own data directory with something in it to find: a run waiting for an
 * approval (and that approval's magic link) and a memory item. Escalation is off so that, between
 * two requests, only a request can change the state.
 */
export async function startFuzzEnvironment(): Promise<FuzzEnvironment> {
  const dataDir = mkdtempSync(join(tmpdir(), 'aios-fuzz-'));
  const links: string[] = [];
  const runtime = await startTestRuntime({
    dataDir,
    workflows: [fuzzWorkflow()],
    escalationIntervalMs: 3_600_000,
    onApprovalLink: (_approval, _email, link) => links.push(link),
  });
  const started = await api<{ runId: string }>(runtime, 'POST', '/runs', { workflow: 'fuzz', input: {} });
  const runId = started.body.runId;
  let approval: Approval | undefined;
  for (let i = 0; i < 500 && !approval; i += 1) {
    approval = (await api<{ approvals: Approval[] }>(runtime, 'GET', '/approvals')).body.approvals.find(
      (a) => a.runId === runId && a.history.some((h) => h.event === 'notified'),
    );
    if (!approval) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (!approval) throw new Error(`run ${runId} never asked for approval`);
  const memory = await api<{ item: MemoryItem }>(runtime, 'POST', '/memory', {
    namespace: 'operator',
    kind: 'fact',
    text: 'Acme pays invoices net 30',
  });
  const link = links[0];
  if (!link) throw new Error('no magic link was sent');
  const outboxDir = join(dataDir, 'outbox');

  /** Work in progress: an action on the queue, or an execution that is not waiting for an approval. */
  async function busy(): Promise<boolean> {
    if ((await runtime.queue.list(ACTION_QUEUE)).length > 0) return true;
    for (const execution of await runtime.stepFunctions.listExecutions({ status: 'RUNNING' })) {
      const last = (await runtime.stepFunctions.getExecutionHistory(execution.executionArn)).at(-1);
      if (last?.type !== 'TaskSubmitted' || last.details.stateName !== 'Request approval') return true;
    }
    return false;
  }

  async function settled(): Promise<string> {
    const deadline = Date.now() + 30_000;
    let previous = '';
    // Settled: nothing in progress, and two readings a moment apart agree.
    for (;;) {
      if (Date.now() > deadline) throw new Error('the runtime did not settle within 30 s');
      const current = (await busy()) ? '' : await snapshotState(runtime, outboxDir);
      if (current !== '' && current === previous) return current;
      previous = current;
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
  }

  return {
    runtime,
    runId,
    approvalId: approval.approvalId,
    memoryId: memory.body.item.id,
    linkToken: new URL(link).searchParams.get('token') ?? '',
    outboxDir,
    settled,
    async close() {
      await runtime.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
