import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AttributeValue, DeleteItemCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDBApprovalStore } from '../../../functions/adapters/aws/dynamodb-approval-store.ts';
import type { Approval } from '../../../functions/core/approvals/approval.ts';
import { createCatalog } from '../../../functions/core/catalog.ts';
import type { Run } from '../../../functions/core/schemas.ts';
import { type LocalRuntime, startLocalRuntime } from '../../../lib/local/runtime.ts';
import { TABLE_NAMES } from '../../../lib/local/table-definitions.ts';
import { api, scenarioWorkflow, waitForRun } from '../../support/local-runtime.ts';
import { forgetCleanClose, tearLastWrite } from '../../support/torn-store.ts';
import { startWebhookServer, type WebhookServer } from '../../support/webhook-server.ts';

/*
 * A SIGKILL in the middle of one of the embedded store's writes leaves its index and its items
 * disagreeing (dynalite writes the index entries, then the item). Each test builds such a store
 * exactly, restarts the runtime on it, and checks what the operator and the runs see.
 */

type Item = Record<string, AttributeValue>;
const inputSchema = {
  type: 'object',
  properties: { hook: { type: 'string', format: 'uri' }, customerId: { type: 'string' } },
  required: ['hook', 'customerId'],
};
const steps = [
  {
    id: 'call-hook',
    title: 'Call the webhook',
    action: 'http.request',
    params: { url: '{{input.hook}}', method: 'POST', body: { customerId: '{{input.customerId}}' } },
    expect: { status: [200, 201] },
  },
];
const catalog = createCatalog([
  scenarioWorkflow({ name: 'plain', inputSchema, steps }),
  scenarioWorkflow({
    name: 'gated',
    inputSchema,
    steps,
    policy: {
      rules: [{ action: 'http.request', decision: 'needs-approval', reason: 'the operator checks it' }],
    },
    approval: { channels: ['slack'], editable: {}, escalation: {} },
  }),
]);

let hook: WebhookServer;
let dataDir: string;
let runtime: LocalRuntime | undefined;

beforeAll(async () => {
  hook = await startWebhookServer();
});
afterAll(async () => {
  await hook.close();
});
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(options: Partial<Parameters<typeof startLocalRuntime>[0]> = {}) {
  runtime = await startLocalRuntime({
    dataDir,
    port: 0,
    catalog,
    timeScale: 0.01,
    pollIntervalMs: 20,
    ...options,
  });
  return runtime;
}

/** Stops the runtime, turns the last write at `key` into one a kill cut after its index writes, and restarts. */
async function killMidWriteAndRestart(key: Item, before: Item | undefined) {
  await runtime?.close();
  runtime = undefined;
  const db = join(dataDir, 'db');
  await tearLastWrite(db, TABLE_NAMES.state, key, before, 'after-index-writes');
  forgetCleanClose(db);
  return start();
}

async function raw(rt: LocalRuntime, key: Item) {
  const { Item } = await rt.db.client.send(
    new GetItemCommand({ TableName: TABLE_NAMES.state, Key: key, ConsistentRead: true }),
  );
  return Item;
}

async function inboxOf(rt: LocalRuntime) {
  return (await api<{ approvals: Approval[] }>(rt, 'GET', '/approvals')).body.approvals;
}

async function waitForApproval(rt: LocalRuntime, runId: string): Promise<Approval> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const approval = (await inboxOf(rt)).find(
      (a) => a.runId === runId && a.history.some((h) => h.event === 'notified'),
    );
    if (approval) return approval;
    if (Date.now() > deadline) throw new Error(`no approval was requested for ${runId}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function postWithKey(rt: LocalRuntime, body: unknown, key: string) {
  return fetch(`${rt.url}/runs`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${rt.apiToken}`,
      'content-type': 'application/json',
      'idempotency-key': key,
    },
    body: JSON.stringify(body),
  });
}

describe('a kill in the middle of a store write: after a restart the index agrees with the items', () => {
  it('the run record of a POST /runs killed mid-write: no phantom, no execution for it, and the retry runs it once', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'aios-torn-run-'));
    // The first POST dies between the run record and the execution start...
    const first = await start({
      decorateOrchestrator: (orchestrator) => ({
        ...orchestrator,
        async startRun() {
          throw new Error('killed before the execution start');
        },
      }),
    });
    const body = { workflow: 'plain', input: { hook: `${hook.url}/torn-run`, customerId: 'torn-run' } };
    const post = (rt: LocalRuntime) => postWithKey(rt, body, 'torn-run-1');
    expect((await post(first)).status).toBe(500);
    const [queued] = (await api<{ runs: Run[] }>(first, 'GET', '/runs')).body.runs;
    const runId = queued?.runId ?? '';
    // ...and, as the soak saw, inside the run record's own write: its index entry is on disk, the item not.
    const second = await killMidWriteAndRestart({ pk: { S: `RUN#${runId}` }, sk: { S: 'RUN' } }, undefined);

    expect((await api<{ runs: Run[] }>(second, 'GET', '/runs')).body.runs).toEqual([]);
    expect((await api(second, 'GET', `/runs/${runId}`)).status).toBe(404);
    // Start-up recovery (awaited by startLocalRuntime) started nothing for a run that does not exist.
    expect((await second.stepFunctions.listExecutions()).map((e) => e.name)).not.toContain(runId);

    const retried = await post(second);
    expect(retried.status).toBe(200);
    expect(((await retried.json()) as { runId: string }).runId).toBe(runId);
    expect((await waitForRun(second, runId)).run.status).toBe('SUCCEEDED');
    expect(hook.deliveries.filter((d) => d.path === '/torn-run')).toHaveLength(1);
  });

  it('a decision killed mid-write: the approval is PENDING and in the inbox, and approving it finishes the run', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'aios-torn-approval-'));
    const first = await start();
    const posted = await api<{ runId: string }>(first, 'POST', '/runs', {
      workflow: 'gated',
      input: { hook: `${hook.url}/torn-approval`, customerId: 'torn-approval' },
    });
    const runId = posted.body.runId;
    const { approvalId } = await waitForApproval(first, runId);
    const key = { pk: { S: `APPROVAL#${approvalId}` }, sk: { S: 'APPROVAL' } };
    const pending = await raw(first, key);
    // The decision's write, and the kill inside it: its task token was never answered.
    await createDynamoDBApprovalStore({ client: first.db.client, tableName: TABLE_NAMES.state }).settle(
      approvalId,
      {
        status: 'APPROVED',
        at: new Date().toISOString(),
        event: { at: new Date().toISOString(), event: 'approved', channel: 'api', detail: 'operator' },
        decision: { outcome: 'approved', channel: 'api', by: 'operator', at: new Date().toISOString() },
      },
    );
    const second = await killMidWriteAndRestart(key, pending);

    expect((await inboxOf(second)).map((a) => [a.approvalId, a.status])).toEqual([[approvalId, 'PENDING']]);
    const decided = await api(second, 'POST', `/approvals/${approvalId}/decision`, { decision: 'approve' });
    expect(decided.status).toBe(200);
    expect((await waitForRun(second, runId)).run.status).toBe('SUCCEEDED');
    expect(await inboxOf(second)).toEqual([]);
    expect(hook.deliveries.filter((d) => d.path === '/torn-approval')).toHaveLength(1);
  });
});

describe('an execution that ran while its run record was missing', () => {
  it("the client's retry with the same Idempotency-Key fails the run with an account instead of leaving it QUEUED", async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'aios-ended-execution-'));
    let failures = 1;
    const rt = await start({
      decorateOrchestrator: (orchestrator) => ({
        ...orchestrator,
        async startRun(runId) {
          if (failures-- > 0) throw new Error('killed before the execution start');
          await orchestrator.startRun(runId);
        },
      }),
    });
    const body = { workflow: 'plain', input: { hook: `${hook.url}/ended`, customerId: 'ended' } };
    expect((await postWithKey(rt, body, 'ended-1')).status).toBe(500);
    const [queued] = (await api<{ runs: Run[] }>(rt, 'GET', '/runs')).body.runs;
    const runId = queued?.runId ?? '';
    // What a recovery pass trusting a torn index did: the run record is not there, its execution runs.
    await rt.db.client.send(
      new DeleteItemCommand({
        TableName: TABLE_NAMES.state,
        Key: { pk: { S: `RUN#${runId}` }, sk: { S: 'RUN' } },
      }),
    );
    const arn = rt.executionArnFor(runId);
    await rt.stepFunctions.startExecution({ stateMachineName: 'run', name: runId, input: { runId } });
    expect((await rt.stepFunctions.waitForExecution(arn, 10_000)).status).toBe('FAILED');

    const retried = await postWithKey(rt, body, 'ended-1');
    expect(retried.status).toBe(200);
    const { run } = (await api<{ run: Run }>(rt, 'GET', `/runs/${runId}`)).body;
    expect(run).toMatchObject({ status: 'FAILED', failure: { error: 'ExecutionEndedBeforeRun' } });
    expect(run.failure?.account).toMatch(/start it again with a new request/);
    expect(hook.deliveries.filter((d) => d.path === '/ended')).toHaveLength(0);
  });
});
