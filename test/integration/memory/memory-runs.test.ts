import { afterEach, describe, expect, it } from 'vitest';
import type { MemoryHistoryEntry, MemoryItem } from '../../../functions/core/memory/schemas.ts';
import type { LocalRuntime } from '../../../lib/local/runtime.ts';
import { scriptedModel } from '../../support/fixtures.ts';
import { api, runToEnd, scenarioWorkflow, startTestRuntime } from '../../support/local-runtime.ts';
import { startWebhookServer, type WebhookServer } from '../../support/webhook-server.ts';

let runtime: LocalRuntime | undefined;
let hook: WebhookServer | undefined;

afterEach(async () => {
  await runtime?.close();
  await hook?.close();
  runtime = undefined;
  hook = undefined;
});

// Memory informs a model's plan, so these runs are of a goal-only playbook, planned by a model.
const goalWorkflow = scenarioWorkflow({
  steps: undefined,
  goal: 'Save the customer, then call the webhook.',
});
const saveCustomer = {
  id: 'save-customer',
  title: 'Save the customer',
  action: { type: 'state.upsert', params: { entityType: 'customer', entityId: 'acme', data: {} } },
};

describe('memory in runs', () => {
  it('the planner retrieves the workflow’s playbook notes, journals candidates and scores, and puts them in the prompt', async () => {
    hook = await startWebhookServer();
    runtime = await startTestRuntime({
      workflows: [goalWorkflow],
      model: scriptedModel(JSON.stringify({ steps: [saveCustomer] })),
    });
    const note = (
      await api<{ item: MemoryItem }>(runtime, 'POST', '/memory', {
        namespace: 'operator',
        kind: 'playbook',
        subject: 'workflow:scenario',
        text: 'Scenario runs: call the webhook only after the customer is saved',
      })
    ).body.item;
    const other = (
      await api<{ item: MemoryItem }>(runtime, 'POST', '/memory', {
        namespace: 'operator',
        kind: 'playbook',
        subject: 'workflow:invoice-follow-up',
        text: 'Scenario runs never apply to invoices',
      })
    ).body.item;

    const { details } = await runToEnd(runtime, 'scenario', { hook: `${hook.url}/hook` });

    expect(details.run.status).toBe('SUCCEEDED');
    const kinds = details.journal.map((e) => e.kind);
    expect(kinds.indexOf('retrieval')).toBeLessThan(kinds.indexOf('model'));
    const retrieval = details.journal.find((e) => e.kind === 'retrieval');
    expect(retrieval?.data).toMatchObject({
      purpose: 'plan',
      indexVersion: 'v000001',
      candidates: [{ rank: 1, id: note.id, version: 1, kind: 'playbook', used: true }],
    });
    const candidates = retrieval?.data?.candidates as { id: string; score: number }[];
    expect(candidates.map((c) => c.id)).not.toContain(other.id);
    expect(candidates[0]?.score).toBeGreaterThan(0);
    const model = details.journal.find((e) => e.kind === 'model');
    expect(String(model?.data?.prompt)).toContain(`<memory>[{"id":"${note.id}"`);
  });

  it('a finished run leaves its summary in working memory of its customer', async () => {
    hook = await startWebhookServer();
    runtime = await startTestRuntime();
    const { runId, details } = await runToEnd(runtime, 'scenario', {
      hook: `${hook.url}/hook`,
      customerId: 'acme',
    });
    expect(details.run.status).toBe('SUCCEEDED');

    const history = await api<{ versions: MemoryHistoryEntry[] }>(
      runtime,
      'GET',
      `/memory/run-${runId}/history`,
    );
    expect(history.status).toBe(200);
    expect(history.body.versions).toEqual([
      expect.objectContaining({
        namespace: 'customer:acme',
        kind: 'run-summary',
        tier: 'working',
        origin: { runId },
        status: 'current',
        text: expect.stringMatching(/succeeded\. Completed 2 steps/),
      }),
    ]);
  });

  it('a failed run leaves a postmortem in long-term memory, and the next run’s planner retrieves it', async () => {
    hook = await startWebhookServer();
    hook.failNext('/hook', 1, 404);
    runtime = await startTestRuntime({
      workflows: [goalWorkflow],
      model: scriptedModel(
        JSON.stringify({
          steps: [
            saveCustomer,
            {
              id: 'call-hook',
              title: 'Call the webhook',
              action: { type: 'http.request', params: { url: `${hook.url}/hook`, method: 'POST', body: {} } },
            },
          ],
        }),
      ),
    });
    const failed = await runToEnd(runtime, 'scenario', { hook: `${hook.url}/hook` });
    expect(failed.details.run.status).toBe('FAILED');

    const postmortem = await api<{ versions: MemoryHistoryEntry[] }>(
      runtime,
      'GET',
      `/memory/postmortem-${failed.runId}/history`,
    );
    expect(postmortem.body.versions[0]).toMatchObject({
      namespace: 'operator',
      kind: 'postmortem',
      tier: 'long-term',
      subject: 'workflow:scenario',
      origin: { runId: failed.runId, stepIndex: 1 },
    });
    expect(postmortem.body.versions[0]?.text).toMatch(/PermanentConnectorError/);

    const next = await runToEnd(runtime, 'scenario', { hook: `${hook.url}/hook` });
    expect(next.details.run.status).toBe('SUCCEEDED');
    const retrieval = next.details.journal.find((e) => e.kind === 'retrieval');
    expect(retrieval?.data?.candidates).toEqual([
      expect.objectContaining({ id: `postmortem-${failed.runId}`, kind: 'postmortem', rank: 1 }),
    ]);
  });
});
