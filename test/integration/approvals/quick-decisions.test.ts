import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Approval, DecideResult } from '../../../functions/core/approvals/approval.ts';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../../lib/local/embedded-dynamodb.ts';
import type { LocalRuntime } from '../../../lib/local/runtime.ts';
import { TABLE_NAMES } from '../../../lib/local/table-definitions.ts';
import { approvalHarness } from '../../support/approval-harness.ts';
import { api, scenarioWorkflow, startTestRuntime, waitForRun } from '../../support/local-runtime.ts';

const ITERATIONS = 30;
const RUNS_END_TO_END = 10;
const APPROVE = { outcome: 'approved', channel: 'api', by: 'operator' } as const;

let db: EmbeddedDynamoDB;
beforeAll(async () => {
  db = await startEmbeddedDynamoDB({ tables: [TABLE_NAMES.state] });
});
afterAll(async () => {
  await db.close();
});

let runtime: LocalRuntime | undefined;
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
});

describe('QuickApproval: a decision while the request is still recording that it notified', () => {
  it(`${ITERATIONS} requests decided inside their notification: no request fails, no decision is refused, every run is answered once`, async () => {
    const decisions = new Map<string, Promise<DecideResult>>();
    let mode: 'decided-first' | 'racing' = 'decided-first';
    const harness = approvalHarness({
      client: db.client,
      tableName: TABLE_NAMES.state,
      // The request is in the inbox and the Slack message is out; "notified" is not written yet.
      async onNotify(approval) {
        const decided = harness.service.decide(approval.approvalId, APPROVE);
        decisions.set(approval.approvalId, decided);
        // Half the time the decision lands before the request's next write, half the time they race.
        if (mode === 'decided-first') await decided;
      },
    });
    const ids: string[] = [];
    for (let i = 0; i < ITERATIONS; i += 1) {
      mode = i % 2 === 0 ? 'decided-first' : 'racing';
      const step = await harness.pausedRun(`quick-${i}-${Date.now()}`);
      const token = `token-${step.runId}`;
      // A throw here is what fails the run's "Request approval" task.
      const requested = await harness.service.request({ ...step, taskToken: token });
      expect(requested.approvalId).toBe(step.approvalId);
      const decided = await decisions.get(step.approvalId);
      expect(decided).toMatchObject({ ok: true });
      expect(harness.answers.filter((a) => a.token === token)).toEqual([
        { token, kind: 'success', output: expect.objectContaining({ approved: true, by: 'operator' }) },
      ]);
      ids.push(step.approvalId);
    }
    for (const id of ids) {
      const approval = (await harness.service.get(id)) as Approval;
      expect(approval.status).toBe('APPROVED');
      expect(approval.answeredAt).toBeDefined();
      expect(approval.slackMessage).toBeDefined();
      expect(approval.history.map((h) => h.event).sort()).toEqual(['approved', 'notified', 'requested']);
      // The Slack message lost its buttons, whichever write came last.
      expect(
        harness.shown.some((a) => a.approvalId === id && a.slackMessage && a.status === 'APPROVED'),
      ).toBe(true);
    }
    const later = new Date(Date.now() + 60_000);
    expect((await harness.service.listPending()).filter((a) => ids.includes(a.approvalId))).toEqual([]);
    expect((await harness.service.unanswered(later)).filter((a) => ids.includes(a.approvalId))).toEqual([]);
  });

  it('DecidedTwiceAtOnce: of concurrent decisions exactly one wins; the rest are told who decided, never while PENDING', async () => {
    const harness = approvalHarness({ client: db.client, tableName: TABLE_NAMES.state });
    for (let i = 0; i < 10; i += 1) {
      const step = await harness.pausedRun(`twice-${i}-${Date.now()}`);
      await harness.service.request({ ...step, taskToken: `token-${step.runId}` });
      const results = await Promise.all(
        ['approved', 'rejected', 'approved', 'rejected'].map((outcome, n) =>
          harness.service.decide(step.approvalId, {
            outcome: outcome as 'approved' | 'rejected',
            channel: 'api',
            by: `operator-${n}`,
          }),
        ),
      );
      const winners = results.filter((r) => r.ok);
      expect(winners).toHaveLength(1);
      for (const lost of results.filter((r) => !r.ok)) {
        expect(lost).toMatchObject({ reason: 'already-decided' });
        if (!lost.ok && lost.reason === 'already-decided') expect(lost.approval.status).not.toBe('PENDING');
      }
      expect(harness.answers.filter((a) => a.token === `token-${step.runId}`)).toHaveLength(1);
    }
  });

  it(`end to end: ${RUNS_END_TO_END} runs approved from inside their notification all succeed`, async () => {
    const decisions = new Map<string, Promise<DecideResult>>();
    let allFired: () => void = () => {};
    const fired = new Promise<void>((resolve) => {
      allFired = resolve;
    });
    let rt: LocalRuntime | undefined;
    runtime = rt = await startTestRuntime({
      workflows: [
        scenarioWorkflow({
          inputSchema: { type: 'object', properties: {} },
          allowedActions: ['state.upsert'],
          policy: {
            rules: [{ action: 'state.upsert', decision: 'needs-approval', reason: 'checked first' }],
          },
          approval: { channels: ['slack', 'email'], editable: {}, escalation: {} },
          steps: [
            {
              id: 'record-invoice',
              title: 'Record the first invoice',
              action: 'state.upsert',
              params: { entityType: 'invoice', entityId: '{{run.id}}', data: { amount: 1500 } },
            },
          ],
        }),
      ],
      // Ten runs at once on a loaded machine: the default 0.01 scales the 900 s action timeout to
      // 9 s, which one gateway worker can overrun (issue 8, defect 4); this test is about approvals.
      timeScale: 0.1,
      visibilityTimeoutSeconds: 30,
      // The magic link goes out after the Slack message and before "notified" is on record. The
      // decision starts right there, in the service every channel (API, Slack, links) decides through.
      onApprovalLink: (approval) => {
        if (!rt || decisions.has(approval.approvalId)) return;
        decisions.set(approval.approvalId, rt.approvals.decide(approval.approvalId, APPROVE));
        if (decisions.size === RUNS_END_TO_END) allFired();
      },
    });
    const started = await Promise.all(
      Array.from({ length: RUNS_END_TO_END }, () =>
        api<{ runId: string }>(rt as LocalRuntime, 'POST', '/runs', { workflow: 'scenario', input: {} }),
      ),
    );
    const runIds = started.map((s) => s.body.runId);
    await fired;
    const answers = await Promise.all(decisions.values());
    // A refused decision would leave its run waiting for good: none may be refused.
    expect(answers.map((a) => (a.ok ? 'ok' : `${a.reason}: ${'message' in a ? a.message : ''}`))).toEqual(
      answers.map(() => 'ok'),
    );
    const details = await Promise.all(runIds.map((runId) => waitForRun(rt as LocalRuntime, runId, 50_000)));
    expect(
      details.map((d) => `${d.run.runId} ${d.run.status} ${d.run.failure?.account ?? ''}`.trim()),
    ).toEqual(runIds.map((id) => `${id} SUCCEEDED`));
    expect((await api<{ approvals: Approval[] }>(rt, 'GET', '/approvals')).body.approvals).toEqual([]);
  });
});
