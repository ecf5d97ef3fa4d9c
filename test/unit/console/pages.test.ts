import { describe, expect, it } from 'vitest';
import type { ConnectorStatus } from '../../../functions/connectors/status.ts';
import { ConnectorsPage } from '../../../functions/console/pages/connectors.tsx';
import { InboxPage } from '../../../functions/console/pages/inbox.tsx';
import { LoginPage } from '../../../functions/console/pages/login.tsx';
import { MemoryPage } from '../../../functions/console/pages/memory.tsx';
import { RunPage } from '../../../functions/console/pages/run.tsx';
import { RunsPage } from '../../../functions/console/pages/runs.tsx';
import { WorkflowsPage } from '../../../functions/console/pages/workflows.tsx';
import { createCatalog } from '../../../functions/core/catalog.ts';
import { runCost } from '../../../functions/core/metrics/usage.ts';
import { workflowMetrics } from '../../../functions/core/metrics/workflow-metrics.ts';
import type { Workflow } from '../../../functions/core/schemas.ts';
import { SHIPPED_PLAYBOOKS } from '../../../functions/shipped-playbooks.ts';
import { knownRuns } from '../core/metrics/known-runs.ts';

const CSRF = 'csrf-token-of-this-session';
// What may sit in the records a page reads but must never reach a page.
const LINK_TOKEN = 'SIGNED-LINK-TOKEN-0123456789';
const TASK_TOKEN = 'TASK-TOKEN-abcdef';
const GRANT = 'GRANT-xyz';

const render = (element: unknown) => `<!doctype html>${String(element)}`;

function r4() {
  const record = knownRuns()[3];
  if (!record) throw new Error('fixture');
  return {
    ...record,
    run: { ...record.run, summary: '<script>alert(1)</script>' },
    journal: [
      ...record.journal,
      {
        runId: 'r4',
        at: '2026-11-01T13:00:11.000Z',
        kind: 'decision' as const,
        message: 'step 1 send-invoice waits for approval r4-s0',
        data: {
          approvalId: 'r4-s0',
          links: [`http://127.0.0.1/approvals/r4-s0?t=${LINK_TOKEN}`],
          taskToken: TASK_TOKEN,
          grant: GRANT,
        },
      },
    ],
  };
}

function assertSafe(html: string) {
  for (const secret of [LINK_TOKEN, TASK_TOKEN, GRANT]) expect(html).not.toContain(secret);
  expect(html).not.toContain('<script>');
  expect(html).toContain('<meta name="viewport"');
}

describe('console pages', () => {
  it('login: a titled, labelled password form posting the token, with no navigation', () => {
    const html = render(LoginPage({ error: 'That is not the API token.' }));
    expect(html).toContain('<title>Log in · aios</title>');
    expect(html).toMatch(
      /<label for="token">API token<\/label><input id="token" name="token" type="password"/,
    );
    expect(html).toContain('method="post" action="/console/login"');
    expect(html).toContain('role="alert"');
    expect(html).not.toContain('Log out');
    assertSafe(html);
  });

  it('runs: filters as a GET form, each run linked, the logout form carries the CSRF token', () => {
    const runs = knownRuns().map((r) => r.run);
    const html = render(
      RunsPage({ csrf: CSRF, runs, workflows: ['onboarding'], filters: { status: 'FAILED', since: '7d' } }),
    );
    expect(html).toContain('<title>Runs · aios</title>');
    expect(html).toContain('<option value="FAILED" selected="">failed</option>');
    expect(html).toContain('<option value="7d" selected="">last 7 days</option>');
    expect(html).toContain('href="/console/runs/r1"');
    expect(html).toContain('7 runs, newest first');
    expect(html).toContain(`name="_csrf" value="${CSRF}"`);
    assertSafe(html);
  });

  it('run: plan, approvals with the edit, model calls with cost, effects, history; no link token or grant from the journal', () => {
    const record = r4();
    const html = render(
      RunPage({
        csrf: CSRF,
        details: { run: record.run, intents: [...record.intents], journal: record.journal },
        audit: record.audit,
        approvals: record.approvals,
        history: record.history,
        cost: runCost(record),
      }),
    );
    expect(html).toContain('<title>Run r4 · aios</title>');
    expect(html).toContain(
      'approved by operator via api at 2026-11-01 13:22:10Z (opened 2026-11-01 13:20:10Z, decided in 2.0 min) (edited: amount: 1200)',
    );
    expect(html).toContain('costUsd $0.0300');
    expect(html).toMatch(/\$0\.0302: model \$0\.0300 over 1 call, AWS est\. \$0\.0001\d+ \(6 transitions/);
    expect(html).toContain('<td>executed</td>');
    expect(html).toContain('Execution history (10 events)');
    expect(html).toContain('waits for approval r4-s0');
    assertSafe(html);
  });

  it('run: a failed run shows its failure account', () => {
    const record = knownRuns()[1];
    if (!record) throw new Error('fixture');
    const html = render(
      RunPage({
        csrf: CSRF,
        details: { run: record.run, intents: [], journal: [...record.journal] },
        audit: [],
        approvals: [],
        history: [],
        cost: runCost(record),
      }),
    );
    expect(html).toContain('What went wrong');
    expect(html).toContain('stopped');
  });

  it('inbox: approve, reject and edit-then-approve in one CSRF-carrying form per approval, labelled', () => {
    const approval = {
      ...(knownRuns()[3]?.approvals[0] as NonNullable<ReturnType<typeof knownRuns>[3]>['approvals'][0]),
      status: 'PENDING' as const,
    };
    const { decision: _decided, ...pending } = approval;
    const html = render(
      InboxPage({
        csrf: CSRF,
        pending: [pending],
        handoffs: [],
        renderedAt: '2026-11-01T13:20:10.000Z',
      }),
    );
    expect(html).toContain('<title>Inbox · aios</title>');
    expect(html).toContain('action="/console/inbox/r4-s0"');
    expect(html).toContain(`<input type="hidden" name="_csrf" value="${CSRF}"/>`);
    expect(html).toContain(
      '<label for="r4-s0-amount">Edit amount</label><input id="r4-s0-amount" name="param.amount" value="1000"/>',
    );
    expect(html).toContain('name="openedAt" value="2026-11-01T13:20:10.000Z"');
    expect(html).toContain('value="approve">Approve (with edits)</button>');
    expect(html).toContain('value="reject">Reject</button>');
    expect(render(InboxPage({ csrf: CSRF, pending: [], handoffs: [], renderedAt: 'x' }))).toContain(
      'Nothing waits for you.',
    );
    assertSafe(html);
  });

  it('inbox: a handoff with what it gathered (credential-named fields hidden) and a CSRF-carrying form to write its output', () => {
    const html = render(
      InboxPage({
        csrf: CSRF,
        pending: [],
        renderedAt: 'x',
        handoffs: [
          {
            handoffId: 'r9-h0',
            runId: 'r9',
            stepIndex: 0,
            stepId: 'draft-note',
            title: 'Draft the note',
            workflow: 'draft-note',
            kind: 'model.draft',
            status: 'PENDING',
            createdAt: '2026-11-01T13:00:00.000Z',
            input: { customerId: 'acme', apiToken: 'tok-SECRET-1' },
            outputs: { lookup: { plan: 'gold', auth: { grantSignature: 'sig-SECRET-2' } } },
            memories: [],
            prompt: 'Write a one-line note for customer acme.',
            error: 'model crashed',
          },
        ],
      }),
    );
    expect(html).toContain('Write: Draft the note');
    expect(html).toContain('The model could not do it: model crashed');
    expect(html).toContain('Write a one-line note for customer acme.');
    expect(html).toContain('&quot;customerId&quot;: &quot;acme&quot;');
    expect(html).toContain('&quot;plan&quot;: &quot;gold&quot;');
    expect(html).not.toContain('SECRET');
    expect(html).toContain('action="/console/handoffs/r9-h0"');
    expect(html).toContain(`<input type="hidden" name="_csrf" value="${CSRF}"/>`);
    expect(html).toContain('<label for="r9-h0-text">The text</label>');
    assertSafe(html);
  });

  it('workflows: mode, schedule, budget, the metrics and an inline SVG chart of runs and cost', () => {
    const workflows: Workflow[] = createCatalog(SHIPPED_PLAYBOOKS).list();
    const report = workflowMetrics(knownRuns(), { since: 'a', until: 'b' }, (w) =>
      w === 'onboarding' ? 45 : undefined,
    );
    const html = render(
      WorkflowsPage({
        csrf: CSRF,
        workflows,
        metrics: report.workflows,
        window: '30 days',
        series: {
          onboarding: [
            { day: '2026-11-01', runs: 4, costUsd: 0.0705 },
            { day: '2026-11-02', runs: 1, costUsd: 0.01 },
          ],
        },
      }),
    );
    expect(html).toContain('<title>Workflows · aios</title>');
    expect(html).toContain('mode live · started by hand · budget $');
    expect(html).toContain('schedule cron(0 9 ? * MON *)');
    expect(html).toContain('1 rejected, 1 edited, 0 handed off, 0 cancelled');
    expect(html).toContain('88.0 min');
    expect(html).toMatch(
      /<svg viewBox="0 0 600 160" role="img" aria-label="onboarding: runs and cost per day"/,
    );
    expect(html).toContain('<title>2026-11-01: 4 runs, $0.0705</title>');
    expect(html).toContain('action="/console/workflows/onboarding/runs"');
    assertSafe(html);
  });

  it('connectors and dead letters: breakers, summaries, a CSRF-carrying redrive', () => {
    const connectors = [
      {
        type: 'http.request',
        risk: 'external-message',
        breakerState: { key: 'http.request', state: 'open' },
      },
    ] as unknown as ConnectorStatus[];
    const html = render(
      ConnectorsPage({
        csrf: CSRF,
        connectors,
        deadLetters: [
          {
            messageId: 'm1',
            receiveCount: 5,
            sentAt: '2026-11-01T10:00:00.000Z',
            runId: 'r1',
            actionType: 'http.request',
            summary: 'POST https://crm.example',
          },
        ],
      }),
    );
    expect(html).toContain('<td class="bad">open</td>');
    expect(html).toContain('POST https://crm.example');
    expect(html).toContain('action="/console/dead-letters/redrive"');
    expect(html).toContain('Send all 1 back to the action queue');
    assertSafe(html);
  });

  it('memory: search with the score and origin of each hit', () => {
    const html = render(
      MemoryPage({
        csrf: CSRF,
        query: { q: 'acme', namespace: 'customer:acme' },
        result: {
          query: 'acme',
          indexVersion: 'v1',
          candidates: 1,
          hits: [
            {
              rank: 1,
              id: 'm1',
              version: 2,
              namespace: 'customer:acme',
              kind: 'fact',
              tier: 'long-term',
              text: 'Acme pays late',
              origin: { runId: 'r1' },
              validFrom: '2026-11-01T00:00:00.000Z',
              score: 0.9123,
              scores: { vector: 0.8, lexical: 0.5 },
            },
          ],
        },
      }),
    );
    expect(html).toContain(
      'score 0.912 (vector 0.800, lexical 0.500) · customer:acme fact long-term · m1 v2 · from run r1',
    );
    expect(html).toContain('<label for="m-q">Search for</label>');
    assertSafe(html);
  });
});
