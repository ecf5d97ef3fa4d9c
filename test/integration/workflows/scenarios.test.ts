import { afterEach, describe, expect, it } from 'vitest';
import { ANSWERED, type OrchestratorCallbacks } from '../../../functions/core/ports.ts';
import type { LocalRuntime } from '../../../lib/local/runtime.ts';
import { scriptedModel } from '../../support/fixtures.ts';
import { enteredStates, eventsInState, eventsOf } from '../../support/history.ts';
import {
  api,
  runToEnd,
  scenarioWorkflow,
  startTestRuntime,
  waitForRun,
} from '../../support/local-runtime.ts';
import { startWebhookServer, type WebhookServer } from '../../support/webhook-server.ts';

let runtime: LocalRuntime | undefined;
let hook: WebhookServer | undefined;

afterEach(async () => {
  await runtime?.close();
  await hook?.close();
  runtime = undefined;
  hook = undefined;
});

/** The second action answer the gateway sends never arrives: that step's task times out. */
function loseSecondAnswer(lost: string[]) {
  let answers = 0;
  return (callbacks: OrchestratorCallbacks): OrchestratorCallbacks => ({
    ...callbacks,
    async taskSucceeded(token, output) {
      answers += 1;
      if (answers === 2) {
        lost.push(token);
        return ANSWERED;
      }
      return callbacks.taskSucceeded(token, output);
    },
  });
}

// Every step enters 'Record intent' first; 'Check policy' sends a model step to 'Run model step'.
const STEP_STATES = ['Record intent', 'Check policy', 'Execute action', 'Check outcome'];

describe('workflow scenarios on the local runtime', () => {
  it('HappyPath: every step is recorded, executed once and checked, then the run is summarised', async () => {
    hook = await startWebhookServer();
    runtime = await startTestRuntime();
    const { details, history } = await runToEnd(runtime, 'scenario', { hook: `${hook.url}/hook` });

    expect(details.run.status).toBe('SUCCEEDED');
    expect(enteredStates(history)).toEqual([
      'Record run start',
      'Plan steps',
      'Run each step',
      ...STEP_STATES,
      ...STEP_STATES,
      'Summarise run',
      'Run succeeded',
    ]);
    expect(eventsOf(history, 'ExecutionSucceeded')).toHaveLength(1);
    expect(details.intents.map((i) => [i.stepId, i.status, i.attempts])).toEqual([
      ['save-customer', 'SUCCEEDED', 1],
      ['call-hook', 'SUCCEEDED', 1],
    ]);
    expect(hook.deliveries).toHaveLength(1);
    expect(hook.deliveries[0]?.idempotencyKey).toBe(details.intents[1]?.idempotencyKey);
    expect(details.run.summary).toMatch(/Completed 2 steps/);
  });

  it('RetryThenSucceed: the connector fails twice, the orchestrator retries with backoff, one effect lands', async () => {
    hook = await startWebhookServer();
    hook.failNext('/hook', 2, 503);
    runtime = await startTestRuntime();
    const { details, history } = await runToEnd(runtime, 'scenario', { hook: `${hook.url}/hook` });

    expect(details.run.status).toBe('SUCCEEDED');
    expect(
      eventsOf(eventsInState(history, 'Execute action'), 'TaskFailed').map((e) => e.details?.error),
    ).toEqual(['TransientConnectorError', 'TransientConnectorError']);
    expect(eventsOf(history, 'TaskSubmitted')).toHaveLength(4); // step 1 once, step 2 three times
    expect(details.intents[1]).toMatchObject({ status: 'SUCCEEDED', attempts: 3 });
    expect(hook.deliveries).toHaveLength(3);
    expect(hook.effects.size).toBe(1);
    expect(new Set(hook.deliveries.map((d) => d.idempotencyKey)).size).toBe(1);
  });

  it('ActionFails: a permanent failure is caught and the run records a human-readable account', async () => {
    hook = await startWebhookServer();
    hook.failNext('/hook', 100, 404);
    runtime = await startTestRuntime();
    const { details, history } = await runToEnd(runtime, 'scenario', { hook: `${hook.url}/hook` });

    expect(details.run.status).toBe('FAILED');
    expect(enteredStates(history).slice(-4)).toEqual([
      'Record failure',
      'Plan compensation',
      'Compensate each',
      'Run failed',
    ]);
    expect(eventsOf(history, 'TaskFailed').map((e) => e.details?.error)).toEqual(['PermanentConnectorError']);
    expect(details.run.failure?.account).toMatch(
      /^Step 2 "Call the webhook" \(http\.request\) failed with PermanentConnectorError: POST .*\/hook answered 404/,
    );
    expect(details.run.failure?.account).toMatch(/1 step had completed/);
    expect(details.intents[1]?.status).toBe('FAILED');
    expect(hook.deliveries).toHaveLength(1);
  });

  it('DeniedStep: the policy denies a step, it never reaches the gateway, and the run says why', async () => {
    hook = await startWebhookServer();
    runtime = await startTestRuntime({
      workflows: [
        scenarioWorkflow({
          policy: {
            rules: [{ action: 'http.request', decision: 'deny', reason: 'webhooks are switched off' }],
          },
        }),
      ],
    });
    const { details, history } = await runToEnd(runtime, 'scenario', { hook: `${hook.url}/hook` });

    expect(details.run.status).toBe('FAILED');
    expect(enteredStates(history)).toContain('Step denied');
    expect(eventsOf(history, 'TaskSubmitted')).toHaveLength(1); // only the first step went to the gateway
    expect(details.intents[1]).toMatchObject({
      status: 'DENIED',
      decision: 'deny',
      reason: 'webhooks are switched off',
    });
    expect(details.run.failure?.account).toMatch(/PolicyDeniedError: webhooks are switched off/);
    expect(hook.deliveries).toHaveLength(0);
  });

  it('MalformedPlan: a model answer that is not a valid plan fails the run before any step', async () => {
    hook = await startWebhookServer();
    // Only a goal is planned by the model: a playbook's fixed steps are its plan.
    runtime = await startTestRuntime({
      workflows: [scenarioWorkflow({ steps: undefined, goal: 'Save the customer, then call the webhook.' })],
      model: scriptedModel('{"steps":[{"id":"x","action":"do everything"}]}'),
    });
    const { details, history } = await runToEnd(runtime, 'scenario', { hook: `${hook.url}/hook` });

    expect(details.run.status).toBe('FAILED');
    expect(enteredStates(history)).toEqual([
      'Record run start',
      'Plan steps',
      'Record failure',
      'Plan compensation',
      'Compensate each',
      'Run failed',
    ]);
    expect(details.plan).toBeUndefined();
    expect(details.intents).toEqual([]);
    expect(details.run.failure?.account).toMatch(
      /^Before any step ran, the run failed with MalformedPlanError/,
    );
    expect(details.journal.some((e) => e.kind === 'model')).toBe(true);
  });

  it('StoppedByHand: an execution stopped outside the state machine still leaves the run FAILED with an account', async () => {
    hook = await startWebhookServer();
    const release = hook.hold('/hook');
    runtime = await startTestRuntime();
    const started = await api<{ runId: string }>(runtime, 'POST', '/runs', {
      workflow: 'scenario',
      input: { hook: `${hook.url}/hook` },
    });
    const { runId } = started.body;
    while (hook.deliveries.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));

    await runtime.stepFunctions.stopExecution(runtime.executionArnFor(runId), {
      error: 'Operator',
      cause: 'stopped from the console',
    });
    release();
    const details = await waitForRun(runtime, runId);

    expect(details.run.status).toBe('FAILED');
    expect(details.run.failure?.account).toMatch(/failed with Operator: stopped from the console/);
    const history = await runtime.stepFunctions.getExecutionHistory(runtime.executionArnFor(runId));
    expect(history.at(-1)?.type).toBe('ExecutionAborted');
  });

  it('CompensatedFailure: effects before a failure are undone once each, newest first, through the gateway', async () => {
    hook = await startWebhookServer();
    hook.failNext('/hook', 100, 404);
    runtime = await startTestRuntime({
      workflows: [
        scenarioWorkflow({
          compensateOnFailure: true,
          steps: [
            {
              id: 'save-customer',
              title: 'Save the customer',
              action: 'state.upsert',
              params: { entityType: 'customer', entityId: 'acme', data: { name: 'Acme' } },
            },
            {
              id: 'open-project',
              title: 'Open the project',
              action: 'state.upsert',
              params: { entityType: 'project', entityId: 'acme-p', data: { open: true } },
            },
            {
              id: 'call-hook',
              title: 'Call the webhook',
              action: 'http.request',
              params: { url: '{{input.hook}}', method: 'POST', body: {} },
            },
          ],
        }),
      ],
    });
    const { runId, details, history } = await runToEnd(runtime, 'scenario', { hook: `${hook.url}/hook` });

    expect(details.run.status).toBe('FAILED');
    expect(eventsOf(eventsInState(history, 'Execute compensation'), 'TaskSucceeded')).toHaveLength(2);
    const audit = (
      await api<{ entries: { stepIndex: number; outcome: string; actionType: string }[] }>(
        runtime,
        'GET',
        `/runs/${runId}/audit`,
      )
    ).body.entries;
    const undo = audit
      .filter((a) => a.outcome === 'executed' && a.actionType === 'state.revert')
      .map((a) => a.stepIndex);
    expect(undo).toEqual([1001, 1000]);
    expect(audit.filter((a) => a.outcome === 'compensated').map((a) => a.stepIndex)).toEqual([1, 0]);
    const byStep = Object.fromEntries(details.intents.map((i) => [i.stepIndex, i.status]));
    expect(byStep).toMatchObject({
      0: 'COMPENSATED',
      1: 'COMPENSATED',
      2: 'FAILED',
      1000: 'SUCCEEDED',
      1001: 'SUCCEEDED',
    });
    const store = runtime.store;
    expect(await store.getEntity('customer', 'acme')).toMatchObject({ version: 2, data: { deleted: true } });
    expect(await store.getEntity('project', 'acme-p')).toMatchObject({ version: 2, data: { deleted: true } });
  });

  it('TimedOutThenCompensated: a step that times out after an earlier state.upsert fails the run, and the upsert is undone once when the playbook says so', async () => {
    hook = await startWebhookServer();
    const lost: string[] = [];
    runtime = await startTestRuntime({
      workflows: [scenarioWorkflow({ compensateOnFailure: true })],
      // At timeScale 0.01 the action task's 900 s are 9 s. No recovery tick: the timeout decides.
      escalationIntervalMs: 3_600_000,
      decorateCallbacks: loseSecondAnswer(lost),
    });
    const started = await api<{ runId: string }>(runtime, 'POST', '/runs', {
      workflow: 'scenario',
      input: { hook: `${hook.url}/timeout` },
    });
    const { runId } = started.body;

    // The run record says FAILED from "Record failure" on; compensation runs after it.
    const arn = runtime.executionArnFor(runId);
    expect((await runtime.stepFunctions.waitForExecution(arn, 60_000)).status).toBe('FAILED');
    const details = await waitForRun(runtime, runId);

    expect(lost).toHaveLength(1);
    expect(details.run.status).toBe('FAILED');
    expect(details.run.failure?.error).toBe('States.Timeout');
    const history = await runtime.stepFunctions.getExecutionHistory(arn);
    expect(eventsOf(eventsInState(history, 'Execute action'), 'TaskTimedOut')).toHaveLength(1);
    expect(eventsOf(eventsInState(history, 'Execute compensation'), 'TaskSucceeded')).toHaveLength(1);
    const byStep = Object.fromEntries(details.intents.map((i) => [i.stepIndex, [i.status, i.action.type]]));
    // Step 1 saved the customer and is undone; step 2's webhook has no undo (http.request) and stays.
    expect(byStep).toEqual({
      0: ['COMPENSATED', 'state.upsert'],
      1: ['SUCCEEDED', 'http.request'],
      1000: ['SUCCEEDED', 'state.revert'],
    });
    expect(await runtime.store.getEntity('customer', 'acme')).toMatchObject({
      version: 2,
      data: { deleted: true },
    });
    const audit = (
      await api<{ entries: { stepIndex: number; outcome: string; actionType: string }[] }>(
        runtime,
        'GET',
        `/runs/${runId}/audit`,
      )
    ).body.entries;
    expect(audit.filter((a) => a.outcome === 'executed' && a.actionType === 'state.revert')).toHaveLength(1);
    expect(audit.filter((a) => a.outcome === 'compensated').map((a) => a.stepIndex)).toEqual([0]);
  }, 90_000);
});
