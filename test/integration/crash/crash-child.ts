/**
 * A local runtime process for the crash test. At the crash point named by CRASH_AT it prints
 * CRASHPOINT and blocks its event loop, so the parent's SIGKILL lands exactly there.
 */

import { createCatalog } from '../../../functions/core/catalog.ts';
import { startLocalRuntime } from '../../../lib/local/runtime.ts';
import { scenarioWorkflow } from '../../support/local-runtime.ts';

const { DATA_DIR, CRASH_AT = 'none', CRASH_ON = '1' } = process.env;
if (!DATA_DIR) throw new Error('DATA_DIR is required');
let seen = 0;
let currentState: string | undefined;

function maybeCrash(point: string) {
  if (point !== CRASH_AT) return;
  seen += 1;
  if (seen !== Number(CRASH_ON)) return;
  process.stdout.write(`CRASHPOINT ${point}\n`);
  // Hold everything still until the parent kills us. A parent that never does (it was waiting on a
  // request this frozen loop cannot answer) would let the run go on past the point under test, and
  // the test would pass without testing it: fail loudly instead.
  if (Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30_000) === 'timed-out') {
    process.stderr.write(`CRASHPOINT ${point} held 30 s and nobody killed this process\n`);
    process.exit(70);
  }
}

const workflow = scenarioWorkflow({
  inputSchema: {
    type: 'object',
    properties: { hook: { type: 'string', format: 'uri' }, customerId: { type: 'string', minLength: 1 } },
    required: ['hook', 'customerId'],
  },
  steps: [
    {
      id: 'save-customer',
      title: 'Save the customer',
      action: 'state.upsert',
      params: {
        entityType: 'customer',
        entityId: '{{input.customerId}}',
        data: { name: 'Customer {{input.customerId}}' },
      },
    },
    {
      id: 'call-hook',
      title: 'Call the webhook',
      action: 'http.request',
      params: { url: '{{input.hook}}', method: 'POST', body: { customerId: '{{input.customerId}}' } },
      expect: { status: [200, 201] },
    },
    {
      id: 'activate',
      title: 'Activate the customer',
      action: 'state.upsert',
      params: { entityType: 'customer', entityId: '{{input.customerId}}', data: { active: true } },
    },
  ],
});

const runtime = await startLocalRuntime({
  dataDir: DATA_DIR,
  port: 0,
  catalog: createCatalog([workflow]),
  // A tenth: retries stay quick, and a task's 900 s timeout (90 s) outlasts a restart on a loaded machine.
  timeScale: 0.1,
  // Far longer than any run here: the restarted runtime must take back the messages in flight at
  // the kill, and the idempotency records their dead attempts left in progress, at once. Nothing
  // may wait out a visibility timeout (or the gateway's timeout, a sixth of it) to recover.
  visibilityTimeoutSeconds: 600,
  pollIntervalMs: 20,
  onExecutionEvent: (_arn, event) => {
    if (event.type.endsWith('StateEntered')) currentState = event.details.stateName;
    if (event.type === 'TaskSucceeded' && currentState === 'Record intent') maybeCrash('intent');
    if (event.type === 'TaskSubmitted') maybeCrash('enqueue');
  },
  fetchImpl: async (input, init) => {
    const response = await fetch(input, init);
    maybeCrash('effect');
    return response;
  },
  decorateCallbacks: (callbacks) => ({
    ...callbacks,
    taskSucceeded: async (token, output) => {
      maybeCrash('answer');
      return callbacks.taskSucceeded(token, output);
    },
  }),
});
process.stdout.write(`READY ${runtime.url} ${runtime.apiToken}\n`);
