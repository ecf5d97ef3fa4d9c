import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Approval } from '../../../functions/core/approvals/approval.ts';
import type { ReviewItem } from '../../../functions/core/trust/schemas.ts';
import type { WorkflowTrust } from '../../../functions/core/trust/trust-service.ts';
import { createApiClient } from '../../../lib/cli/api-client.ts';
import { modeCommand } from '../../../lib/cli/trust.ts';
import type { LocalRuntime } from '../../../lib/local/runtime.ts';
import { api, scenarioWorkflow, startTestRuntime, waitForRun } from '../../support/local-runtime.ts';
import { startWebhookServer, type WebhookServer } from '../../support/webhook-server.ts';

let runtime: LocalRuntime | undefined;
let hooks: WebhookServer | undefined;
let dataDir: string | undefined;
afterEach(async () => {
  await runtime?.close();
  await hooks?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  runtime = undefined;
  hooks = undefined;
  dataDir = undefined;
});

async function waitFor<T>(what: string, read: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 500; i += 1) {
    const value = await read();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('shadow reviews and approvals as judgements, on the local runtime', () => {
  it('a shadow run ends as review items; verdicts count; `aios promote` refuses with the numbers', async () => {
    const server = await startWebhookServer();
    hooks = server;
    dataDir = mkdtempSync(join(tmpdir(), 'aios-trust-'));
    const rt = await startTestRuntime({
      dataDir,
      workflows: [scenarioWorkflow({ mode: 'shadow', promotion: { minJudged: 2, minAgreement: 0.9 } })],
    });
    runtime = rt;
    const { runId } = (
      await api<{ runId: string }>(rt, 'POST', '/runs', { workflow: 'scenario', input: { hook: server.url } })
    ).body;
    expect((await waitForRun(rt, runId)).run.status).toBe('SUCCEEDED');
    expect(server.deliveries).toEqual([]); // shadow: nothing executed

    const reviews = (await api<{ reviews: ReviewItem[] }>(rt, 'GET', '/reviews')).body.reviews;
    expect(reviews.map((r) => [r.runId, r.stepId, r.action.type])).toEqual([
      [runId, 'save-customer', 'state.upsert'],
      [runId, 'call-hook', 'http.request'],
    ]);
    const [first, second] = reviews as [ReviewItem, ReviewItem];
    const bad = await api<{ message: string }>(rt, 'POST', `/reviews/${first.reviewId}`, {
      verdict: 'change',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/change/);
    expect((await api(rt, 'POST', `/reviews/${first.reviewId}`, { verdict: 'agree' })).status).toBe(200);
    const changed = await api<{ review: ReviewItem }>(rt, 'POST', `/reviews/${second.reviewId}`, {
      verdict: 'change',
      change: { body: { hello: 'there' } },
      note: 'friendlier',
    });
    expect(changed.body.review.judgement).toMatchObject({
      verdict: 'change',
      change: { body: { hello: 'there' } },
    });

    const trust = (await api<WorkflowTrust>(rt, 'GET', '/workflows/scenario/trust')).body;
    expect(trust).toMatchObject({
      mode: 'shadow',
      agreement: [{ version: 1, judged: 2, agreed: 1, rate: 0.5 }],
    });

    // The CLI prints the refusal with the numbers (exit 2: the API refused the request).
    const client = await createApiClient(rt.url, dataDir);
    const out: string[] = [];
    await expect(
      modeCommand(client, { out: (l) => out.push(l), err: (l) => out.push(l) }, 'scenario', 'promote', {
        json: false,
      }),
    ).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/agreement 0\.50 < 0\.9 over the last 2 judged/),
    });
    expect((await api(rt, 'POST', '/workflows/scenario/demote')).status).toBe(409); // shadow already
  });

  it('an approval of a live run is a judgement: approved unchanged agrees', async () => {
    const rt = await startTestRuntime({
      workflows: [
        scenarioWorkflow({
          inputSchema: { type: 'object' },
          allowedActions: ['state.upsert', 'email.send'],
          policy: { rules: [{ action: 'email.send', decision: 'needs-approval', reason: 'checked first' }] },
          steps: [
            {
              id: 'send-invoice',
              title: 'Send the invoice',
              action: 'email.send',
              params: { to: ['billing@acme.example'], subject: 'Invoice', text: 'Hello' },
            },
          ],
        }),
      ],
    });
    runtime = rt;
    const { runId } = (await api<{ runId: string }>(rt, 'POST', '/runs', { workflow: 'scenario', input: {} }))
      .body;
    const approval = await waitFor('the approval', async () =>
      (await api<{ approvals: Approval[] }>(rt, 'GET', '/approvals')).body.approvals.find(
        (a) => a.runId === runId,
      ),
    );
    expect(
      (await api(rt, 'POST', `/approvals/${approval.approvalId}/decision`, { decision: 'approve' })).status,
    ).toBe(200);
    expect((await waitForRun(rt, runId)).run.status).toBe('SUCCEEDED');
    const trust = (await api<WorkflowTrust>(rt, 'GET', '/workflows/scenario/trust')).body;
    expect(trust.agreement[0]).toMatchObject({ judged: 1, agreed: 1, rate: 1 });
    expect((await api<{ reviews: ReviewItem[] }>(rt, 'GET', '/reviews')).body.reviews).toEqual([]);
  });
});
