/**
 * A local runtime process for the stranded-run tests. At the crash point named by CRASH_AT it
 * prints CRASHPOINT and blocks its event loop, so the parent's SIGKILL lands exactly there:
 *   approval-answer-before  a decision (or expiry) is written, its task token not yet answered
 *   approval-answer-after   the token is answered, the approval not yet marked answered
 *   start-run               POST /runs wrote the run record, the execution is not started
 */

import { createCatalog } from '../../../functions/core/catalog.ts';
import { startLocalRuntime } from '../../../lib/local/runtime.ts';
import { scenarioWorkflow } from '../../support/local-runtime.ts';

const { DATA_DIR, CRASH_AT = 'none' } = process.env;
if (!DATA_DIR) throw new Error('DATA_DIR is required');
let crashed = false;

function crash(point: string) {
  if (point !== CRASH_AT || crashed) return;
  crashed = true;
  process.stdout.write(`CRASHPOINT ${point}\n`);
  // Hold everything still until the parent kills us. A parent that never does (it was waiting on a
  // request this frozen loop cannot answer) would let the run go on past the point under test, and
  // the test would pass without testing it: fail loudly instead.
  if (Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30_000) === 'timed-out') {
    process.stderr.write(`CRASHPOINT ${point} held 30 s and nobody killed this process\n`);
    process.exit(70);
  }
}

const steps = [
  {
    id: 'save-customer',
    title: 'Save the customer',
    action: 'state.upsert',
    params: { entityType: 'customer', entityId: '{{input.customerId}}', data: { name: 'Customer' } },
  },
  {
    id: 'call-hook',
    title: 'Call the webhook',
    action: 'http.request',
    params: { url: '{{input.hook}}', method: 'POST', body: { customerId: '{{input.customerId}}' } },
    expect: { status: [200, 201] },
  },
];
const gated = (name: string, escalation: Record<string, unknown>) =>
  scenarioWorkflow({
    name,
    inputSchema: {
      type: 'object',
      properties: { hook: { type: 'string', format: 'uri' }, customerId: { type: 'string' } },
      required: ['hook', 'customerId'],
    },
    policy: {
      rules: [{ action: 'http.request', decision: 'needs-approval', reason: 'the operator checks it' }],
    },
    approval: { channels: ['slack'], editable: {}, escalation },
    steps,
  });

const runtime = await startLocalRuntime({
  dataDir: DATA_DIR,
  port: 0,
  catalog: createCatalog([
    scenarioWorkflow({
      name: 'plain',
      inputSchema: {
        type: 'object',
        properties: { hook: { type: 'string', format: 'uri' }, customerId: { type: 'string' } },
        required: ['hook', 'customerId'],
      },
      steps,
    }),
    gated('gated', {}),
    // Expires about a second after it is requested, so the escalation job rejects it.
    gated('expiring', { slackReminderAfterMinutes: 0, emailAfterMinutes: 0, expireAfterHours: 0.0003 }),
  ]),
  timeScale: 0.01,
  pollIntervalMs: 20,
  escalationIntervalMs: 200,
  decorateCallbacks: (callbacks) => {
    // Only the approval service answers "Request approval": with {approved} or an Approval…Error.
    const isApproval = (answer: unknown) =>
      (typeof answer === 'object' && answer !== null && 'approved' in answer) ||
      (typeof answer === 'string' && answer.startsWith('Approval'));
    return {
      taskSucceeded: async (token, output) => {
        if (isApproval(output)) crash('approval-answer-before');
        const answered = await callbacks.taskSucceeded(token, output);
        if (isApproval(output)) crash('approval-answer-after');
        return answered;
      },
      taskFailed: async (token, error, cause) => {
        if (isApproval(error)) crash('approval-answer-before');
        const answered = await callbacks.taskFailed(token, error, cause);
        if (isApproval(error)) crash('approval-answer-after');
        return answered;
      },
    };
  },
  decorateOrchestrator: (orchestrator) => ({
    ...orchestrator,
    async startRun(runId) {
      crash('start-run');
      await orchestrator.startRun(runId);
    },
  }),
});
process.stdout.write(`READY ${runtime.url} ${runtime.apiToken}\n`);
