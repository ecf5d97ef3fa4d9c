import { describe, expect, it } from 'vitest';
import { createStepFunctionsOrchestrator } from '../../../functions/adapters/aws/step-functions.ts';
import { createCatalog } from '../../../functions/core/catalog.ts';
import { ConflictError } from '../../../functions/core/errors.ts';
import { createRunControl } from '../../../functions/core/run-control/run-control.ts';
import { createRunRecorder } from '../../../functions/core/run-recorder.ts';
import { createRunsService } from '../../../functions/core/runs-service.ts';
import type { Intent } from '../../../functions/core/schemas.ts';
import { createRunRecorderHandler } from '../../../functions/run-recorder/run-recorder-handler.ts';
import { createLocalContext } from '../../../lib/local/http/lambda-context.ts';
import { fakeSfn } from '../../support/fake-sfn.ts';
import { fixedClock, runFixture } from '../../support/fixtures.ts';
import { scenarioWorkflow } from '../../support/local-runtime.ts';
import { createMemoryRunStartClaims } from '../../support/memory-run-start-claims.ts';
import { createMemoryStateStore } from '../../support/memory-state-store.ts';

const STATE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:AiosRun';
const EXECUTIONS = 'arn:aws:states:eu-west-1:123456789012:execution:AiosRun';

function intent(runId: string, stepIndex: number, status: Intent['status']): Intent {
  return {
    runId,
    stepIndex,
    stepId: `step-${stepIndex}`,
    title: `Step ${stepIndex}`,
    action: { type: 'http.request', params: { url: 'https://example.com', method: 'POST' } },
    idempotencyKey: `${runId}-${stepIndex}`,
    status,
    decision: 'allow',
    attempts: 1,
    recordedAt: '2026-11-25T09:00:00.000Z',
    ...(status === 'SUCCEEDED' ? { result: { ok: true, output: { status: 201 }, durationMs: 3 } } : {}),
  };
}

/** Run control over the AWS orchestrator adapter, its SFN client faked. */
function onAws(workflows: unknown[] = [scenarioWorkflow()]) {
  const store = createMemoryStateStore();
  const sfn = fakeSfn();
  const clock = fixedClock();
  const orchestrator = createStepFunctionsOrchestrator(sfn.client, STATE_MACHINE);
  const deps = {
    store,
    catalog: createCatalog(workflows),
    orchestrator,
    clock,
    claims: createMemoryRunStartClaims(),
  };
  const withdrawn: string[] = [];
  const control = createRunControl({
    ...deps,
    runs: createRunsService(deps),
    approvals: {
      withdrawForRun: async (runId) => {
        withdrawn.push(runId);
        return [`${runId}-s1`];
      },
    },
  });
  return { store, sfn, control, withdrawn };
}

describe('run control on AWS (Step Functions client faked)', () => {
  it('cancel: the record turns CANCELLED, StopExecution stops its execution, approvals are withdrawn, effects listed', async () => {
    const { store, sfn, control, withdrawn } = onAws();
    const run = runFixture({ status: 'RUNNING' });
    await store.createRun(run);
    await store.recordIntent(intent(run.runId, 0, 'SUCCEEDED'));
    await store.recordIntent(intent(run.runId, 1, 'AWAITING_APPROVAL'));

    const cancelled = await control.cancel(run.runId, { by: 'operator', reason: 'not needed' });

    expect(sfn.sent).toEqual([
      {
        command: 'StopExecutionCommand',
        input: {
          executionArn: `${EXECUTIONS}:${run.runId}`,
          error: 'RunCancelled',
          cause: 'cancelled by operator: not needed',
        },
      },
    ]);
    expect(withdrawn).toEqual([run.runId]);
    expect(cancelled.effects).toEqual([{ stepIndex: 0, stepId: 'step-0', actionType: 'http.request' }]);
    expect(await store.getRun(run.runId)).toMatchObject({
      status: 'CANCELLED',
      cancellation: { by: 'operator', reason: 'not needed', effects: cancelled.effects },
    });
    await expect(control.cancel(run.runId, { by: 'operator' })).rejects.toThrow(
      /only a queued or running run/,
    );
  });

  it('cancel compensates when the playbook says so: after StopExecution, the compensation execution starts and is named on the run', async () => {
    const compensating = scenarioWorkflow({ compensateOnFailure: true });
    const { store, sfn, control } = onAws([compensating]);
    const run = runFixture({ status: 'RUNNING', workflow: 'scenario' });
    await store.createRun(run);
    await store.recordIntent(intent(run.runId, 0, 'SUCCEEDED'));

    const cancelled = await control.cancel(run.runId, { by: 'operator' });

    expect(sfn.sent.map((s) => s.command)).toEqual(['StopExecutionCommand', 'StartExecutionCommand']);
    expect(sfn.sent[1]?.input).toEqual({
      stateMachineArn: STATE_MACHINE,
      name: `${run.runId}_compensate`,
      input: JSON.stringify({ runId: run.runId }),
    });
    expect(cancelled.compensation).toBe(`${run.runId}_compensate`);
    expect((await store.getRun(run.runId))?.cancellation?.compensation).toBe(`${run.runId}_compensate`);
  });

  it('cancel starts no compensation when the playbook does not ask for it, or no effect was made', async () => {
    const plain = onAws([scenarioWorkflow()]);
    const run = runFixture({ status: 'RUNNING', workflow: 'scenario' });
    await plain.store.createRun(run);
    await plain.store.recordIntent(intent(run.runId, 0, 'SUCCEEDED'));
    expect((await plain.control.cancel(run.runId, { by: 'operator' })).compensation).toBeUndefined();
    expect(plain.sfn.sent.map((s) => s.command)).toEqual(['StopExecutionCommand']);

    const nothingMade = onAws([scenarioWorkflow({ compensateOnFailure: true })]);
    await nothingMade.store.createRun(run);
    expect((await nothingMade.control.cancel(run.runId, { by: 'operator' })).compensation).toBeUndefined();
    expect(nothingMade.sfn.sent.map((s) => s.command)).toEqual(['StopExecutionCommand']);
  });

  it('cancel withdraws the pending handoffs of that run only; one completed meanwhile stands', async () => {
    const store = createMemoryStateStore();
    const sfn = fakeSfn();
    const run = runFixture({ status: 'RUNNING' });
    await store.createRun(run);
    const pending = [
      { handoffId: `${run.runId}-h1`, runId: run.runId },
      { handoffId: `${run.runId}-h2`, runId: run.runId },
      { handoffId: 'other-run-h1', runId: 'other-run' },
    ];
    const withdrawnIds: string[] = [];
    const control = createRunControl({
      store,
      orchestrator: createStepFunctionsOrchestrator(sfn.client, STATE_MACHINE),
      catalog: createCatalog([scenarioWorkflow()]),
      clock: fixedClock(),
      runs: { start: async () => Promise.reject(new Error('not used')) },
      handoffs: {
        listPending: async () => pending as never,
        withdraw: async (id: string) => {
          if (id.endsWith('-h2')) throw new ConflictError('completed already');
          withdrawnIds.push(id);
          return {} as never;
        },
      },
    });
    const cancelled = await control.cancel(run.runId, { by: 'operator' });
    expect(cancelled.withdrawn.handoffs).toEqual([`${run.runId}-h1`]);
    expect(withdrawnIds).toEqual([`${run.runId}-h1`]);
  });

  it('cancel of a retried run stops the execution that drives it now', async () => {
    const { store, sfn, control } = onAws();
    const run = runFixture({ status: 'RUNNING', execution: 'r_retry2', attempt: 3, runId: 'r' });
    await store.createRun(run);
    await control.cancel('r', { by: 'operator' });
    expect(sfn.sent[0]?.input.executionArn).toBe(`${EXECUTIONS}:r_retry2`);
  });

  it('retry: failed intents go back to RECORDED, completed ones stay, and a new execution starts under its own name', async () => {
    const { store, sfn, control } = onAws();
    const run = runFixture({
      status: 'FAILED',
      failure: { error: 'PermanentConnectorError', cause: 'x', account: 'step 3 failed' },
      finishedAt: '2026-11-25T09:30:00.000Z',
    });
    await store.createRun(run);
    await store.recordIntent(intent(run.runId, 0, 'SUCCEEDED'));
    await store.recordIntent(intent(run.runId, 1, 'SUCCEEDED'));
    await store.recordIntent(intent(run.runId, 2, 'FAILED'));

    const retried = await control.retry(run.runId, { by: 'operator' });

    const started = sfn.sent.find((s) => s.command === 'StartExecutionCommand');
    expect(started?.input).toEqual({
      stateMachineArn: STATE_MACHINE,
      name: `${run.runId}_retry1`,
      input: JSON.stringify({ runId: run.runId }),
    });
    expect(retried).toMatchObject({ status: 'QUEUED', attempt: 2, execution: `${run.runId}_retry1` });
    expect(retried.failure).toBeUndefined();
    expect(retried.finishedAt).toBeUndefined();
    const intents = await store.listIntents(run.runId);
    expect(intents.map((i) => i.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'RECORDED']);
  });

  it('retry refuses what it cannot mend: a run not failed, a rejection, an outcome only the operator can check', async () => {
    const { store, sfn, control } = onAws();
    await store.createRun(runFixture({ runId: 'ok', status: 'SUCCEEDED' }));
    await expect(control.retry('ok', { by: 'operator' })).rejects.toThrow(/only a failed run/);
    await store.createRun(
      runFixture({
        runId: 'rejected',
        status: 'FAILED',
        failure: { error: 'ApprovalRejectedError', cause: 'no', account: 'no' },
      }),
    );
    await expect(control.retry('rejected', { by: 'operator' })).rejects.toThrow(/rerun it instead/);
    await store.createRun(
      runFixture({
        runId: 'unknown',
        status: 'FAILED',
        failure: { error: 'OutcomeUnknownError', cause: 'x', account: 'x' },
      }),
    );
    await store.recordIntent(intent('unknown', 0, 'OUTCOME_UNKNOWN'));
    await expect(control.retry('unknown', { by: 'operator' })).rejects.toThrow(/check it by hand/);
    expect(sfn.sent).toEqual([]);
  });

  it('the end of an earlier execution (EventBridge names it) does not fail the run its retry drives', async () => {
    const store = createMemoryStateStore();
    const handler = createRunRecorderHandler({ store, clock: fixedClock() });
    await store.createRun(runFixture({ runId: 'r', status: 'RUNNING', execution: 'r_retry1', attempt: 2 }));
    const context = createLocalContext('recorder', 60_000);
    await handler(
      { op: 'execution-ended', runId: 'r', status: 'FAILED', error: 'RunFailed', cause: 'x' },
      context,
    );
    expect((await store.getRun('r'))?.status).toBe('RUNNING');
    await handler(
      { op: 'execution-ended', runId: 'r_retry1', status: 'ABORTED', error: null, cause: null },
      context,
    );
    expect((await store.getRun('r'))?.status).toBe('FAILED');
  });

  it("the end of a cancelled run's compensation execution (EventBridge names it) finds its run and leaves it CANCELLED", async () => {
    const store = createMemoryStateStore();
    const handler = createRunRecorderHandler({ store, clock: fixedClock() });
    await store.createRun(runFixture({ runId: 'r', status: 'CANCELLED' }));
    const context = createLocalContext('recorder', 60_000);
    // It ends through "Run failed", as a failed run's compensation does.
    const ended = await handler(
      { op: 'execution-ended', runId: 'r_compensate', status: 'FAILED', error: 'RunFailed', cause: 'x' },
      context,
    );
    expect(ended).toMatchObject({ status: 'CANCELLED' });
    // Its first state refuses the cancelled run, which sends it on to its compensation.
    await expect(createRunRecorder({ store, clock: fixedClock() }).start('r')).rejects.toThrow(
      /was cancelled: no more of its plan runs, only its compensation/,
    );
  });

  it('the recorder leaves a cancelled run cancelled, whatever its execution reports', async () => {
    const store = createMemoryStateStore();
    await store.createRun(runFixture({ status: 'CANCELLED' }));
    const told: string[] = [];
    const alerts = { runFailed: async (run: { runId: string }) => void told.push(run.runId) };
    const recorder = createRunRecorder({ store, clock: fixedClock(), alerts: alerts as never });
    await recorder.executionEnded(runFixture().runId, 'ABORTED', 'RunCancelled', 'x');
    await recorder.fail(runFixture().runId, { Error: 'States.TaskFailed', Cause: 'x' });
    expect((await store.getRun(runFixture().runId))?.status).toBe('CANCELLED');
    // A cancel is the operator's own act: no "your run failed" notice follows it.
    expect(told).toEqual([]);
  });

  it('rerun starts a new run (StartExecution named after it) with the edited input and the link to the old one', async () => {
    const { store, sfn, control } = onAws();
    await store.createRun(
      runFixture({
        runId: 'old',
        workflow: 'scenario',
        status: 'SUCCEEDED',
        input: { hook: 'https://a.example' },
      }),
    );
    const { run } = await control.rerun('old', { by: 'operator', set: { hook: 'https://b.example' } });
    expect(run).toMatchObject({ rerunOf: 'old', input: { hook: 'https://b.example' }, workflow: 'scenario' });
    expect(sfn.sent).toEqual([
      {
        command: 'StartExecutionCommand',
        input: {
          stateMachineArn: STATE_MACHINE,
          name: run.runId,
          input: JSON.stringify({ runId: run.runId }),
        },
      },
    ]);
  });
});
