import { afterEach, describe, expect, it } from 'vitest';
import type { RunDetails } from '../../../functions/core/runs-service.ts';
import type { LocalRuntime } from '../../../lib/local/runtime.ts';
import { api, startTestRuntime, waitForRun } from '../../support/local-runtime.ts';
import { startWebhookServer, type WebhookServer } from '../../support/webhook-server.ts';

let runtime: LocalRuntime | undefined;
let hook: WebhookServer | undefined;
afterEach(async () => {
  await runtime?.close();
  await hook?.close();
  runtime = undefined;
  hook = undefined;
});

describe('shadow mode', () => {
  it('Shadowed: every step is recorded as what it would have done, nothing reaches the world, and the run succeeds', async () => {
    hook = await startWebhookServer();
    runtime = await startTestRuntime();
    const started = await api<{ runId: string }>(runtime, 'POST', '/runs', {
      workflow: 'scenario',
      input: { hook: `${hook.url}/hook` },
      mode: 'shadow',
    });
    const details: RunDetails = await waitForRun(runtime, started.body.runId);

    expect(details.run.status).toBe('SUCCEEDED');
    expect(details.intents.map((i) => i.status)).toEqual(['SHADOWED', 'SHADOWED']);
    expect(details.intents[1]?.result).toMatchObject({ output: { shadow: true }, attempts: 0 });
    expect(hook.deliveries).toHaveLength(0);
  });
});
