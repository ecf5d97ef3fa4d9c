import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Approval } from '../../../functions/core/approvals/approval.ts';
import type { ExecutionEvent } from '../../../functions/core/ports.ts';
import type { AuditEntry, Run } from '../../../functions/core/schemas.ts';
import {
  type ChildRuntime,
  callChild,
  kill9,
  startChildRuntime,
  waitForRuns,
} from '../../support/child-runtime.ts';
import { startWebhookServer, type WebhookServer } from '../../support/webhook-server.ts';

const CHILD = fileURLToPath(new URL('./stranded-child.ts', import.meta.url));

let hook: WebhookServer;
const dirs: string[] = [];
const children: ChildRuntime[] = [];

beforeAll(async () => {
  hook = await startWebhookServer();
});
afterAll(async () => {
  for (const child of children) await kill9(child.process);
  await hook.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function start(dataDir: string, crashAt: string) {
  const child = await startChildRuntime(CHILD, { DATA_DIR: dataDir, CRASH_AT: crashAt });
  children.push(child);
  return child;
}

function freshDataDir(name: string) {
  const dir = mkdtempSync(join(tmpdir(), `aios-stranded-${name}-`));
  dirs.push(dir);
  return dir;
}

/** Waits until the run's approval is in the inbox and its approvers have been told. */
async function waitForApproval(child: ChildRuntime, runId: string): Promise<Approval> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { approvals } = await callChild<{ approvals: Approval[] }>(child, 'GET', '/approvals');
    const approval = approvals.find(
      (a) => a.runId === runId && a.history.some((h) => h.event === 'notified'),
    );
    if (approval) return approval;
    if (Date.now() > deadline) throw new Error(`no approval was requested for ${runId}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The run after the restart: what its approval, its execution history, its audit log and the provider say. */
async function aftermath(child: ChildRuntime, runId: string, approvalId: string) {
  const [details] = await waitForRuns(child, [runId]);
  if (!details) throw new Error(`run ${runId} not found`);
  const { approval } = await callChild<{ approval: Approval }>(child, 'GET', `/approvals/${approvalId}`);
  const { approvals: inbox } = await callChild<{ approvals: Approval[] }>(child, 'GET', '/approvals');
  const { events } = await callChild<{ events: ExecutionEvent[] }>(child, 'GET', `/runs/${runId}/history`);
  const { entries } = await callChild<{ entries: AuditEntry[] }>(child, 'GET', `/runs/${runId}/audit`);
  const answers = events.filter(
    (e) => e.stateName === 'Request approval' && (e.type === 'TaskSucceeded' || e.type === 'TaskFailed'),
  );
  return { details, approval, inbox, answers, audit: entries };
}

describe('stranded by a crash: a restart finishes what the last process left half-done', () => {
  it.each([
    ['approval-answer-before', 'after the decision is written, before its task token is answered'],
    ['approval-answer-after', 'after the task token is answered, before the approval is marked answered'],
  ])('DecidedThenKilled at %s (%s): after a restart the run goes on, answered once', async (point) => {
    const dataDir = freshDataDir(point);
    const first = await start(dataDir, point);
    const customerId = `decided-${point}`;
    const { runId } = await callChild<{ runId: string }>(first, 'POST', '/runs', {
      workflow: 'gated',
      input: { hook: `${hook.url}/${customerId}`, customerId },
    });
    const approval = await waitForApproval(first, runId);
    // The answer never comes: the process stops dead inside the decision.
    const decision = callChild(first, 'POST', `/approvals/${approval.approvalId}/decision`, {
      decision: 'approve',
    }).catch(() => 'no answer');
    expect(await first.crashed).toBe(point);
    await kill9(first.process);
    expect(await decision).toBe('no answer');

    const second = await start(dataDir, 'none');
    const after = await aftermath(second, runId, approval.approvalId);
    expect(after.details.run.status, after.details.run.failure?.account).toBe('SUCCEEDED');
    expect(after.approval).toMatchObject({
      status: 'APPROVED',
      decision: { by: 'operator', channel: 'api' },
    });
    expect(after.approval.answeredAt).toBeDefined();
    expect(after.inbox).toEqual([]);
    // The paused step was answered exactly once, whatever was sent before the crash.
    expect(after.answers.map((e) => e.type)).toEqual(['TaskSucceeded']);
    expect(after.audit.filter((a) => a.outcome === 'approved')).toHaveLength(1);
    const deliveries = hook.deliveries.filter((d) => d.path === `/${customerId}`);
    expect(deliveries, JSON.stringify(deliveries.map((d) => d.idempotencyKey))).toHaveLength(1);
    // Asked again, the decision is still the one given before the crash.
    const again = await fetch(`${second.url}/approvals/${approval.approvalId}/decision`, {
      method: 'POST',
      headers: { authorization: `Bearer ${second.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ decision: 'reject', note: 'changed my mind' }),
    });
    expect(again.status).toBe(409);
  });

  it('ExpiredThenKilled: expiry written, the run not told; after a restart the run fails with the expiry, not the 10-day timeout', async () => {
    const dataDir = freshDataDir('expired');
    const first = await start(dataDir, 'approval-answer-before');
    const customerId = 'expired';
    const { runId } = await callChild<{ runId: string }>(first, 'POST', '/runs', {
      workflow: 'expiring',
      input: { hook: `${hook.url}/${customerId}`, customerId },
    });
    expect(await first.crashed).toBe('approval-answer-before');
    await kill9(first.process);

    const second = await start(dataDir, 'none');
    const after = await aftermath(second, runId, `${runId}-s1`);
    expect(after.details.run.status).toBe('FAILED');
    expect(after.details.run.failure?.account).toMatch(/ApprovalTimedOutError: nobody decided/);
    expect(after.approval.status).toBe('EXPIRED');
    expect(after.approval.answeredAt).toBeDefined();
    expect(after.answers.map((e) => e.type)).toEqual(['TaskFailed']);
    expect(after.audit.filter((a) => a.outcome === 'approval-expired')).toHaveLength(1);
    expect(hook.deliveries.filter((d) => d.path === `/${customerId}`)).toHaveLength(0);
  });

  it('QueuedThenKilled: the run record is written, its execution never started; after a restart it runs to the end once', async () => {
    const dataDir = freshDataDir('queued');
    const first = await start(dataDir, 'start-run');
    const customerId = 'queued';
    const posted = callChild(first, 'POST', '/runs', {
      workflow: 'plain',
      input: { hook: `${hook.url}/${customerId}`, customerId },
    }).catch(() => 'no answer');
    expect(await first.crashed).toBe('start-run');
    await kill9(first.process);
    expect(await posted).toBe('no answer');

    const second = await start(dataDir, 'none');
    const runs = await callChild<{ runs: Run[] }>(second, 'GET', '/runs');
    expect(runs.runs).toHaveLength(1);
    const runId = (runs.runs[0] as Run).runId;
    const [details] = await waitForRuns(second, [runId]);
    expect(details?.run.status).toBe('SUCCEEDED');
    expect(details?.intents.map((i) => i.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    const { events } = await callChild<{ events: ExecutionEvent[] }>(second, 'GET', `/runs/${runId}/history`);
    expect(events.filter((e) => e.type === 'ExecutionStarted')).toHaveLength(1);
    expect(hook.deliveries.filter((d) => d.path === `/${customerId}`)).toHaveLength(1);
  });
});
