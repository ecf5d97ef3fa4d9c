import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../../lib/local/runtime.ts';
import { scriptedModel } from '../../support/fixtures.ts';
import { runToEnd, startTestRuntime } from '../../support/local-runtime.ts';
import { draftThenSaveWorkflow } from './workflows.ts';

let runtime: LocalRuntime | undefined;
let dataDir: string | undefined;
afterEach(async () => {
  await runtime?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  runtime = dataDir = undefined;
});

/** Reads an inbound message into fields, then emails the sender and records the contact. */
const extractThenEmail = {
  name: 'reply-to-request',
  version: 1,
  description: 'Read an inbound request, record its sender, and acknowledge it by email.',
  allowedActions: ['model.extract', 'state.upsert', 'email.send'],
  inputSchema: { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] },
  steps: [
    {
      id: 'read-request',
      title: 'Read the request',
      action: 'model.extract',
      model: {
        prompt: 'Find who wrote this request.',
        source: '{{input.message}}',
        output: {
          type: 'object',
          properties: { name: { type: 'string', minLength: 1 }, email: { type: 'string' } },
          required: ['name', 'email'],
          additionalProperties: false,
        },
      },
    },
    {
      id: 'record-contact',
      title: 'Record the contact',
      action: 'state.upsert',
      params: {
        entityType: 'contact',
        entityId: 'latest',
        data: { name: '{{steps.read-request.output.name}}' },
      },
    },
    {
      id: 'acknowledge',
      title: 'Acknowledge the request',
      action: 'email.send',
      params: {
        to: ['{{steps.read-request.output.email}}'],
        subject: 'We got your request, {{steps.read-request.output.name}}',
        text: 'Thank you: we will answer within a day.',
      },
    },
  ],
};

const sentEmails = (dir: string) => {
  try {
    return readdirSync(join(dir, 'outbox', 'email')).filter((f) => f.endsWith('.eml'));
  } catch {
    return [];
  }
};

describe('model steps in a run', () => {
  it("StepOutputs: a later step's parameters are filled from an earlier step's output", async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'aios-steps-'));
    runtime = await startTestRuntime({ workflows: [extractThenEmail], dataDir });
    const { details } = await runToEnd(runtime, 'reply-to-request', {
      message: 'Hello!\nname: Ada Lovelace\nemail: ada@example.com\nPlease call back.',
    });
    expect(details.run.status).toBe('SUCCEEDED');
    expect((await runtime.store.getEntity('contact', 'latest'))?.data).toEqual({ name: 'Ada Lovelace' });
    const acknowledge = details.intents.find((i) => i.stepId === 'acknowledge');
    expect(acknowledge?.action.params).toMatchObject({
      to: ['ada@example.com'],
      subject: 'We got your request, Ada Lovelace',
    });
    expect(sentEmails(dataDir)).toHaveLength(1);
  });

  it("StepOutputNotFit: an output that does not fit the connector's schema fails the step before any effect", async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'aios-steps-'));
    runtime = await startTestRuntime({ workflows: [extractThenEmail], dataDir });
    const { details } = await runToEnd(runtime, 'reply-to-request', {
      message: 'name: Ada\nemail: call me maybe',
    });
    expect(details.run.status).toBe('FAILED');
    expect(details.run.failure?.error).toBe('StepOutputError');
    expect(details.run.failure?.account).toMatch(/step 3 acknowledge \(email\.send\).*to\.0/);
    expect(details.intents.map((i) => i.stepId)).toEqual(['read-request', 'record-contact']);
    expect(sentEmails(dataDir)).toEqual([]);
  });

  it('ExtractInvalid: an extraction missing a declared field is a step error and nothing of it is kept', async () => {
    runtime = await startTestRuntime({ workflows: [extractThenEmail] });
    const { details } = await runToEnd(runtime, 'reply-to-request', { message: 'name: Ada, no address' });
    expect(details.run.status).toBe('FAILED');
    expect(details.run.failure?.error).toBe('ModelOutputInvalidError');
    expect(details.run.failure?.account).toMatch(/email: .*required/i);
    const read = details.intents.find((i) => i.stepId === 'read-request');
    expect(read?.status).toBe('RECORDED');
    expect(read?.result).toBeUndefined();
    expect(await runtime.store.getEntity('contact', 'latest')).toBeUndefined();
  });

  it("FixedPlanHolds: a model that answers a different plan only fills the drafted value; the plan is the playbook's", async () => {
    const rogue = JSON.stringify({
      steps: [
        {
          id: 'wire-money',
          title: 'Wire money',
          action: { type: 'http.request', params: { url: 'http://127.0.0.1:9/pay' } },
        },
      ],
    });
    const model = scriptedModel(rogue);
    runtime = await startTestRuntime({
      workflows: [draftThenSaveWorkflow({ allowedActions: ['model.draft', 'state.upsert', 'http.request'] })],
      model,
    });
    const { details } = await runToEnd(runtime, 'draft-note', { customerId: 'acme' });
    expect(details.run.status).toBe('SUCCEEDED');
    expect(details.plan?.steps.map((s) => [s.id, s.action.type])).toEqual([
      ['draft-note', 'model.draft'],
      ['save-note', 'state.upsert'],
    ]);
    expect(details.intents.map((i) => i.action.type)).toEqual(['model.draft', 'state.upsert']);
    // The model's answer is only ever the drafted text.
    expect((await runtime.store.getEntity('customer', 'acme'))?.data).toEqual({ note: rogue });
    expect(model.calls).toEqual(['fast']);
  });

  it('BudgetExceeded: a budget that cannot cover even the fast tier stops before the call, with an account', async () => {
    const model = scriptedModel('never asked', { fast: 10, slow: 50 });
    runtime = await startTestRuntime({
      workflows: [draftThenSaveWorkflow({ budget: { maxUsd: 0.01, maxModelCalls: 5 } })],
      model,
    });
    const { details, history } = await runToEnd(runtime, 'draft-note', { customerId: 'acme' });
    expect(model.calls).toEqual([]);
    expect(details.run.status).toBe('FAILED');
    expect(details.run.failure?.error).toBe('BudgetExceededError');
    expect(details.run.failure?.account).toMatch(
      /Step 1 "Draft the note" \(model\.draft\) failed with BudgetExceededError: the model step needs up to \$[\d.]+ even on the fast tier/,
    );
    expect(details.run.spentUsd).toBe(0);
    expect(history.map((e) => e.details.stateName)).toContain('Run model step');
    expect(await runtime.store.getEntity('customer', 'acme')).toBeUndefined();
  });
});
