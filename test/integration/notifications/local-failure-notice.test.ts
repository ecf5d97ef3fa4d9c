import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCatalog } from '../../../functions/core/catalog.ts';
import {
  type LocalRuntime,
  type LocalRuntimeOptions,
  startLocalRuntime,
} from '../../../lib/local/runtime.ts';
import { enteredStates, eventsOf } from '../../support/history.ts';
import { runToEnd, scenarioWorkflow } from '../../support/local-runtime.ts';
import { startWebhookServer, type WebhookServer } from '../../support/webhook-server.ts';

// The local runtime wires the operator's alerts into its run recorder: a failed run is recorded
// twice (the state machine's Record failure, then the execution-ended event) and tells once.

let runtime: LocalRuntime | undefined;
let hook: WebhookServer | undefined;
let dataDir: string;

afterEach(async () => {
  await runtime?.close();
  await hook?.close();
  runtime = undefined;
  hook = undefined;
  rmSync(dataDir, { recursive: true, force: true });
});

async function failingRun(operatorAlerts?: LocalRuntimeOptions['operatorAlerts']) {
  dataDir = mkdtempSync(join(tmpdir(), 'aios-failure-notice-'));
  hook = await startWebhookServer();
  hook.failNext('/hook', 100, 404);
  runtime = await startLocalRuntime({
    port: 0,
    dataDir,
    catalog: createCatalog([scenarioWorkflow()]),
    timeScale: 0.01,
    pollIntervalMs: 20,
    ...(operatorAlerts ? { operatorAlerts } : {}),
  });
  const url = runtime.url;
  const { runId, details, history } = await runToEnd(runtime, 'scenario', { hook: `${hook.url}/hook` });
  expect(details.run.status).toBe('FAILED');
  // Recorded twice: by the state machine, and by the end of the execution.
  expect(enteredStates(history)).toContain('Record failure');
  expect(eventsOf(history, 'ExecutionFailed')).toHaveLength(1);
  // close() waits for the execution-ended recording, so every notice is written by now.
  await runtime.close();
  runtime = undefined;
  const account = details.run.failure?.account ?? '';
  expect(account).toMatch(/Call the webhook/);
  return { runId, account, url };
}

const filesIn = (dir: string) => {
  try {
    return readdirSync(dir).map((name) => readFileSync(join(dir, name), 'utf8'));
  } catch {
    return [];
  }
};

describe('a failed run on the local runtime tells the operator once', () => {
  it('on the Slack outbox by default, with its failure account and a link to the run', async () => {
    const { runId, account, url } = await failingRun();
    const notices = filesIn(join(dataDir, 'outbox', 'slack'))
      .map((text) => JSON.parse(text) as { channel: string; text: string })
      .filter((post) => post.channel === '#aios-alerts');
    expect(notices).toHaveLength(1);
    expect(notices[0]?.text).toContain(`Run ${runId} of scenario failed`);
    expect(notices[0]?.text).toContain(account);
    expect(notices[0]?.text).toContain(`Open: ${url}/runs/${runId}`);
    expect(filesIn(join(dataDir, 'outbox', 'email'))).toHaveLength(0);
  });

  it('by email when the operator chose email', async () => {
    const { runId, account } = await failingRun({ email: ['ops@acme.example'] });
    const emails = filesIn(join(dataDir, 'outbox', 'email'));
    expect(emails).toHaveLength(1);
    expect(emails[0]).toContain('ops@acme.example');
    expect(emails[0]).toContain(`[aios] Run ${runId} of scenario failed`);
    expect(emails[0]).toContain(account.slice(0, 40));
    expect(filesIn(join(dataDir, 'outbox', 'slack'))).toHaveLength(0);
  });
});
