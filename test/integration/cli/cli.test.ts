import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AiosDev, CLI, startAiosDev } from '../../support/aios-dev.ts';

const EXAMPLE = fileURLToPath(new URL('../../../playbooks/examples/new-customer.json', import.meta.url));

let dev: AiosDev;
let port: number;
const aios = (args: string[], extra: Record<string, string> = {}) => dev.aios(args, extra);
/** What the local webhook stand-in of this `aios dev` received, by hook name. */
const webhookDeliveries = (hook: string) =>
  readFileSync(join(dev.dataDir, 'outbox', 'webhooks.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { hook: string; body: string })
    .filter((delivery) => delivery.hook === hook);

beforeAll(async () => {
  dev = await startAiosDev('aios-cli-');
  port = dev.port;
});
afterAll(() => dev.stop());

describe('the aios CLI against `aios dev`', () => {
  let runId = '';

  it('runs the onboarding playbook: it pauses for approval, says where, and goes on once approved', async () => {
    // The example input as the README's first command gives it, against aios on a port not 8787.
    expect(port).not.toBe(8787);
    const running = aios(['run', 'onboarding', '--input', EXAMPLE]);
    let waiting: { approvalId: string; summary: string; risk: string }[] = [];
    for (let i = 0; i < 200 && waiting.length === 0; i += 1) {
      waiting = JSON.parse((await aios(['approvals', '--json'])).stdout);
      if (waiting.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(waiting).toHaveLength(1);
    expect(waiting[0]).toMatchObject({ risk: 'external-message' });
    expect(waiting[0]?.summary).toMatch(/^Send the first invoice: email\.send/);
    const listed = await aios(['approvals']);
    expect(listed.stdout).toMatch(/1 approval waiting, oldest first/);

    const approved = await aios(['approve', waiting[0]?.approvalId ?? '', '--note', 'looks right']);
    expect(approved.code).toBe(0);
    expect(approved.stdout).toMatch(/approved \(looks right\); run onboarding-\S+ goes on/);

    const { code, stdout } = await running;
    expect(code).toBe(0);
    runId = /Run (onboarding-\S+) started/.exec(stdout)?.[1] ?? '';
    expect(runId).not.toBe('');
    expect(stdout).toMatch(/plan of 6 steps/);
    expect(stdout).toMatch(/step 2 notify-crm: http\.request done/);
    expect(stdout).toMatch(
      /step 5 send-first-invoice waits for approval onboarding-\S+-s4: Slack message in #aios-approvals; magic links emailed to operator@localhost\.example; or run: npx aios approve/,
    );
    expect(stdout).toMatch(
      /open to decide: http:\/\/127\.0\.0\.1:\d+\/approvals\/onboarding-\S+-s4\/link\?token=/,
    );
    expect(stdout).toMatch(/step 5 send-first-invoice: email\.send done/);
    expect(stdout).toMatch(/✔ Run onboarding-\S+ succeeded\. Completed 6 steps/);
    expect((await aios(['approvals'])).stdout).toBe('No approvals are waiting.\n');
    // ${AIOS_API_URL} in the example became this server's address: its CRM stand-in got the call.
    expect(webhookDeliveries('crm').map((d) => JSON.parse(d.body))).toEqual([
      expect.objectContaining({ event: 'customer.created', customerId: 'acme' }),
    ]);
    const shown = JSON.parse((await aios(['show', runId, '--json'])).stdout) as { run: { input: object } };
    expect(shown.run.input).toMatchObject({ crmWebhookUrl: `http://127.0.0.1:${port}/local/webhooks/crm` });
  });

  it('rejecting needs a note, and an unknown approval is a clear not-found', async () => {
    const noNote = await aios(['reject', 'x']);
    expect(noNote.code).not.toBe(0);
    expect(noNote.stderr).toMatch(/--note/);
    const unknown = await aios(['approve', 'nope']);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toMatch(/approval nope does not exist/);
  });

  it('runs the weekly invoice follow-up playbook too', async () => {
    const { code, stdout } = await aios([
      'run',
      'invoice-follow-up',
      '--input',
      fileURLToPath(new URL('../../../playbooks/examples/overdue-invoice.json', import.meta.url)),
      '--set',
      'customerId=123',
    ]);
    expect(code).toBe(0);
    // --set values are text unless the schema says otherwise: an id of digits stays an id.
    const followUpId = /Run (invoice-follow-up-\S+) started/.exec(stdout)?.[1] ?? '';
    const shown = JSON.parse((await aios(['show', followUpId, '--json'])).stdout) as {
      run: { input: object };
    };
    expect(shown.run.input).toMatchObject({ customerId: '123' });
    // v2 drafts the reminder first (offline model: the instructions filled from the input).
    expect(stdout).toMatch(/step 1 draft-reminder: model\.draft done/);
    expect(stdout).toMatch(/step 2 send-reminder: http\.request done/);
    expect(stdout).toMatch(/succeeded\. Completed 3 steps/);
    const deliveries = webhookDeliveries('mailer');
    expect(deliveries).toHaveLength(1);
    expect(JSON.parse(deliveries[0]?.body ?? '{}').text).toMatch(
      /payment reminder for invoice acme-0001 to customer 123/,
    );
  });

  it('lists runs, as a table and as JSON', async () => {
    const table = await aios(['runs']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`${runId}\\s+onboarding v1\\s+SUCCEEDED`));
    const json = await aios(['runs', '--json']);
    expect(JSON.parse(json.stdout).map((r: { runId: string }) => r.runId)).toContain(runId);
  });

  it("shows a run's plan, each intent, result and timing", async () => {
    const { code, stdout } = await aios(['show', runId]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/Plan \(6 steps, by playbook onboarding v1\)/);
    expect(stdout).toMatch(/2\. Tell the CRM about the new customer \[notify-crm\]/);
    expect(stdout).toMatch(/intent +SUCCEEDED, key aios-[0-9a-f]{40}, allow/);
    expect(stdout).toMatch(/result +\{"status":201/);
    expect(stdout).toMatch(/timing +recorded .*1 attempt\(s\), took \d+ ms/);
    const json = JSON.parse((await aios(['show', runId, '--json'])).stdout);
    expect(json.intents).toHaveLength(6);
  });

  it("shows a run's execution history, the orchestrator's own record", async () => {
    const { code, stdout } = await aios(['history', runId]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Execution history of onboarding-\S+ \(\d+ events\)/);
    expect(stdout).toMatch(/ExecutionStarted/);
    expect(stdout).toMatch(/TaskSubmitted +Execute action/);
    expect(stdout).toMatch(/SucceedStateEntered +Run succeeded/);
    const events = JSON.parse((await aios(['history', runId, '--json'])).stdout) as { type: string }[];
    expect(events.at(-1)?.type).toBe('ExecutionSucceeded');
  });

  it("shows a run's audit log: who asked, what the policy said, what became of it", async () => {
    const { code, stdout } = await aios(['audit', runId]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Audit log of onboarding-\S+ \(13 entries\)/);
    expect(stdout).toMatch(/step {2}1 {2}allowed +state\.upsert {2}by executor: /);
    expect(stdout).toMatch(/step {2}2 {2}executed +http\.request {2}by executor\/\S+ \d+ ms: /);
    const entries = JSON.parse((await aios(['audit', runId, '--json'])).stdout) as { outcome: string }[];
    expect(entries.filter((e) => e.outcome === 'executed')).toHaveLength(6);
    expect(
      entries.filter((e) => e.outcome === 'approved').map((e) => (e as { agent?: string }).agent),
    ).toEqual(['api:operator']);
  });

  it('shows each connector with its risk, rate limit and breaker', async () => {
    const { code, stdout } = await aios(['connectors']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/http\.request +write +10\/s burst 10 +breaker closed, 0 recent failure\(s\)/);
    expect(stdout).toMatch(/state\.upsert .*undone by state\.revert/);
  });

  it('lists the dead-letter queue and redrives it', async () => {
    const list = await aios(['dlq', 'list']);
    expect(list).toMatchObject({ code: 0, stdout: 'The dead-letter queue is empty.\n' });
    const redrive = await aios(['dlq', 'redrive']);
    expect(redrive).toMatchObject({ code: 0, stdout: 'Moved 0 messages back to the action queue.\n' });
  });

  it('says what is wrong with bad input, with distinct exit codes', async () => {
    const unknown = await aios(['run', 'payroll']);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toMatch(
      // The registry lists its workflows by name.
      /workflow payroll does not exist; known workflows: content-draft, invoice-follow-up, onboarding, payment-received/,
    );

    const missing = await aios(['run', 'onboarding', '--set', 'customerId=x']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /input\.name is required; input\.email is required; input\.setupFee is required; input\.crmWebhookUrl is required/,
    );

    // Typed input: refused before any run exists, every bad field named.
    const runsBefore = JSON.parse((await aios(['runs', '--json'])).stdout).length;
    const typed = await aios([
      'run',
      'onboarding',
      '--input',
      EXAMPLE,
      '--set',
      'email=not-an-email',
      '--set',
      'setupFee=abc',
      '--set',
      'crmWebhookUrl=ftp://x',
    ]);
    expect(typed.code).toBe(2);
    expect(typed.stderr).toMatch(
      /input\.email must be an email address; input\.setupFee must be a number; input\.crmWebhookUrl must be an http or https URL/,
    );
    expect(JSON.parse((await aios(['runs', '--json'])).stdout)).toHaveLength(runsBefore);

    const notJson = await aios(['run', 'onboarding', '--input', CLI]);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toMatch(/is not valid JSON/);

    const noRun = await aios(['show', 'nope']);
    expect(noRun.code).toBe(4);
    expect(noRun.stderr).toMatch(/run nope does not exist/);
  });

  it('tells the user to start aios when nothing is listening', async () => {
    const { code, stderr } = await aios(['runs'], { AIOS_API_URL: 'http://127.0.0.1:9' });
    expect(code).toBe(3);
    expect(stderr).toMatch(/aios is not running at http:\/\/127\.0\.0\.1:9\. Start it with `npm start`/);
  });

  it('refuses API calls without the token', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/runs`);
    expect(response.status).toBe(401);
  });
});
