import { createCatalog } from '../../functions/core/catalog.ts';
import type { ModelPort } from '../../functions/core/ports.ts';
import type { RunDetails } from '../../functions/core/runs-service.ts';
import { type LocalRuntime, type LocalRuntimeOptions, startLocalRuntime } from '../../lib/local/runtime.ts';

export function scenarioWorkflow(overrides: Record<string, unknown> = {}) {
  return {
    name: 'scenario',
    version: 1,
    description: 'Two steps: save a customer, then call a webhook.',
    allowedActions: ['state.upsert', 'http.request'],
    inputSchema: {
      type: 'object',
      properties: { hook: { type: 'string', format: 'uri', description: 'the webhook to call' } },
      required: ['hook'],
    },
    steps: [
      {
        id: 'save-customer',
        title: 'Save the customer',
        action: 'state.upsert',
        params: { entityType: 'customer', entityId: 'acme', data: { name: 'Acme' } },
      },
      {
        id: 'call-hook',
        title: 'Call the webhook',
        action: 'http.request',
        params: { url: '{{input.hook}}', method: 'POST', body: { hello: 'world' } },
        expect: { status: [200, 201] },
      },
    ],
    ...overrides,
  };
}

export async function startTestRuntime(
  options: {
    workflows?: unknown[];
    model?: ModelPort;
    dataDir?: string;
    visibilityTimeoutSeconds?: number;
    maxReceiveCount?: number;
    escalationIntervalMs?: number;
    onApprovalLink?: LocalRuntimeOptions['onApprovalLink'];
    decorateOrchestrator?: LocalRuntimeOptions['decorateOrchestrator'];
    decorateCallbacks?: LocalRuntimeOptions['decorateCallbacks'];
    /** Default 0.01; many concurrent runs need room for their actions' (scaled) timeouts. */
    timeScale?: number;
  } = {},
): Promise<LocalRuntime> {
  return startLocalRuntime({
    port: 0,
    dataDir: options.dataDir,
    catalog: createCatalog(options.workflows ?? [scenarioWorkflow()]),
    model: options.model,
    timeScale: options.timeScale ?? 0.01,
    // The runtime's 30 s unless a test says otherwise: the gateway's timeout is a sixth of it.
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
    maxReceiveCount: options.maxReceiveCount,
    escalationIntervalMs: options.escalationIntervalMs,
    onApprovalLink: options.onApprovalLink,
    decorateOrchestrator: options.decorateOrchestrator,
    decorateCallbacks: options.decorateCallbacks,
    pollIntervalMs: 20,
  });
}

export async function api<T>(
  runtime: LocalRuntime,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${runtime.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${runtime.apiToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

/** Polls the run record until it is SUCCEEDED or FAILED. */
export async function waitForRun(
  runtime: LocalRuntime,
  runId: string,
  timeoutMs = 30_000,
): Promise<RunDetails> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const details = (await api<RunDetails>(runtime, 'GET', `/runs/${runId}`)).body;
    if (details.run.status === 'SUCCEEDED' || details.run.status === 'FAILED') return details;
    if (Date.now() > deadline)
      throw new Error(`run ${runId} still ${details.run.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Starts a run through the HTTP API and waits for it to end. */
export async function runToEnd(
  runtime: LocalRuntime,
  workflow: string,
  input: Record<string, unknown>,
  timeoutMs = 30_000,
) {
  const started = await api<{ runId: string }>(runtime, 'POST', '/runs', { workflow, input });
  if (started.status !== 202)
    throw new Error(`start failed: ${started.status} ${JSON.stringify(started.body)}`);
  const { runId } = started.body;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const details = (await api<RunDetails>(runtime, 'GET', `/runs/${runId}`)).body;
    if (details.run.status === 'SUCCEEDED' || details.run.status === 'FAILED') {
      // The run record turns terminal before the execution ends (a failed run may still compensate).
      await runtime.stepFunctions.waitForExecution(runtime.executionArnFor(runId), 10_000);
      const history = await runtime.stepFunctions.getExecutionHistory(runtime.executionArnFor(runId));
      const final = (await api<RunDetails>(runtime, 'GET', `/runs/${runId}`)).body;
      return { runId, details: final, history };
    }
    if (Date.now() > deadline)
      throw new Error(`run ${runId} still ${details.run.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Polls `probe` until it answers something other than undefined. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
