import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../functions/core/schemas.ts';
import type { LocalRuntime } from '../../../lib/local/runtime.ts';
import { api, runToEnd, scenarioWorkflow, startTestRuntime } from '../../support/local-runtime.ts';
import { startWebhookServer, type WebhookServer } from '../../support/webhook-server.ts';

let runtime: LocalRuntime | undefined;
let hook: WebhookServer | undefined;
let dataDir: string | undefined;
afterEach(async () => {
  await runtime?.close();
  await hook?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  runtime = undefined;
  hook = undefined;
  dataDir = undefined;
});

/** A run whose only step calls the webhook with the stored credential "crm", bound to `hostsFor(webhook)`. */
async function runWithCredential(hostsFor: (hookUrl: string) => string[]) {
  hook = await startWebhookServer();
  const hosts = hostsFor(hook.url);
  dataDir = mkdtempSync(join(tmpdir(), 'aios-credential-run-'));
  mkdirSync(join(dataDir, 'credentials', 'http'), { recursive: true });
  writeFileSync(
    join(dataDir, 'credentials', 'http', 'crm'),
    JSON.stringify({ value: 'Bearer crm_secret', hosts }),
    { mode: 0o600 },
  );
  runtime = await startTestRuntime({
    dataDir,
    workflows: [
      scenarioWorkflow({
        allowedActions: ['http.request'],
        steps: [
          {
            id: 'call-hook',
            title: 'Call the CRM',
            action: 'http.request',
            params: { url: '{{input.hook}}', method: 'POST', body: {}, credential: 'crm' },
          },
        ],
      }),
    ],
  });
  const run = await runToEnd(runtime, 'scenario', { hook: `${hook.url}/hook` });
  const audit = await api<{ entries: AuditEntry[] }>(runtime, 'GET', `/runs/${run.runId}/audit`);
  return { ...run, audit: audit.body.entries, deliveries: hook.deliveries };
}

describe('a stored credential goes only to the hosts it is bound to', () => {
  it('Bound: the step calls the host the credential names, with the credential', async () => {
    const { details, deliveries } = await runWithCredential((hookUrl) => [hookUrl]);
    expect(details.run.status).toBe('SUCCEEDED');
    expect(deliveries).toHaveLength(1);
  });

  it('Refused: a credential aimed elsewhere fails the step before any request, and the audit log says why', async () => {
    const { details, deliveries, audit } = await runWithCredential(() => ['api.crm.example']);
    expect(details.run.status).toBe('FAILED');
    expect(details.run.failure?.account).toMatch(
      /CredentialRefusedError: refused before sending: credential crm/,
    );
    expect(details.intents[0]).toMatchObject({ status: 'FAILED', attempts: 1 });
    expect(deliveries).toHaveLength(0);
    const refusal = audit.find((entry) => entry.stepIndex === 0 && entry.outcome === 'rejected');
    expect(refusal?.reason).toMatch(
      /^refused before sending: credential crm may not be sent to http:\/\/127\.0\.0\.1:\d+; it is bound to api\.crm\.example$/,
    );
    expect(JSON.stringify(audit)).not.toMatch(/crm_secret/);
    expect(JSON.stringify(details)).not.toMatch(/crm_secret/);
  });
});
