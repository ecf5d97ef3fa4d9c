import { describe, expect, it } from 'vitest';
import type { Approval } from '../../../functions/core/approvals/approval.ts';
import { ANSWERED, type ExecutionState } from '../../../functions/core/ports.ts';
import { AT_START_UP, createRecovery, SWEEP_GRACE } from '../../../functions/core/recovery.ts';
import type { Intent } from '../../../functions/core/schemas.ts';
import { approvalFixture } from '../../integration/approvals/email/fakes.ts';
import { fixedClock, runFixture } from '../../support/fixtures.ts';
import { createMemoryStateStore } from '../../support/memory-state-store.ts';

const NOW = '2026-11-25T10:00:00.000Z';
const ago = (seconds: number) => new Date(Date.parse(NOW) - seconds * 1000).toISOString();

async function setUp() {
  const store = createMemoryStateStore();
  for (const [runId, createdAt] of [
    ['run-stale', ago(600)],
    ['run-broken', ago(300)],
    ['run-fresh', ago(30)],
  ] as const) {
    await store.createRun(runFixture({ runId, status: 'QUEUED', createdAt }));
  }
  await store.createRun(runFixture({ runId: 'run-going', status: 'RUNNING', createdAt: ago(900) }));
  const settled: Approval[] = [
    approvalFixture({ approvalId: 'apr-1', status: 'APPROVED' }),
    approvalFixture({ approvalId: 'apr-broken', status: 'APPROVED' }),
    approvalFixture({ approvalId: 'apr-closed', status: 'REJECTED' }),
  ];
  const cutoffs: Date[] = [];
  const answered: string[] = [];
  const started: string[] = [];
  const executions = new Map<string, ExecutionState>();
  const errors: Record<string, string>[] = [];
  const recovery = createRecovery({
    approvals: {
      async unanswered(before) {
        cutoffs.push(before);
        return settled;
      },
      async answerSettled(id) {
        if (id === 'apr-broken') throw new Error('throttled');
        answered.push(id);
        return id === 'apr-closed' ? 'closed' : 'answered';
      },
    },
    runs: store,
    orchestrator: {
      async startRun(runId) {
        if (runId === 'run-broken') throw new Error('ExecutionLimitExceeded');
        started.push(runId);
        if (!executions.has(runId)) executions.set(runId, { status: 'RUNNING' });
      },
      async execution(runId) {
        return executions.get(runId);
      },
    },
    clock: fixedClock(NOW),
    onError: (_message, _error, context) => errors.push(context),
  });
  return { recovery, store, cutoffs, answered, started, executions, errors };
}

describe('recovery: what a crash stranded, finished', () => {
  it('a sweep answers settled approvals and starts QUEUED runs older than the grace; one failure stops nothing', async () => {
    const { recovery, cutoffs, answered, started, errors } = await setUp();
    const report = await recovery.sweep(SWEEP_GRACE);
    expect(report).toEqual({
      approvalsAnswered: 1,
      approvalsAlreadyAnswered: 1,
      runsStarted: 1,
      runsFailed: 0,
      runsNotQueued: 0,
      failures: 2,
    });
    expect(cutoffs.map((d) => d.toISOString())).toEqual([ago(SWEEP_GRACE.approvalsMs / 1000)]);
    expect(answered).toEqual(['apr-1', 'apr-closed']);
    // The fresh run may be a POST /runs still between its two writes; the running one is not stranded.
    expect(started).toEqual(['run-stale']);
    expect(errors).toEqual([
      { approvalId: 'apr-broken', runId: approvalFixture().runId },
      { runId: 'run-broken' },
    ]);
  });

  it('at start-up nothing of the last process is in flight: every QUEUED run is started', async () => {
    const { recovery, cutoffs, started } = await setUp();
    await recovery.sweep(AT_START_UP);
    expect(cutoffs.map((d) => d.toISOString())).toEqual([NOW]);
    expect(started.sort()).toEqual(['run-fresh', 'run-stale']);
  });

  it('a run the index lists as QUEUED is started only if the run itself, read strongly, is QUEUED', async () => {
    const { recovery, store, started } = await setUp();
    // An index copy behind its item (AWS) or torn by a kill (locally): a run that has moved on,
    // and one whose record was never written.
    await store.updateRun('run-stale', ['QUEUED'], { status: 'RUNNING' });
    const listRuns = store.listRuns.bind(store);
    store.listRuns = async (query) => [
      ...(await listRuns(query)),
      runFixture({ runId: 'run-stale', status: 'QUEUED', createdAt: ago(600) }),
      runFixture({ runId: 'run-phantom', status: 'QUEUED', createdAt: ago(700) }),
    ];
    const report = await recovery.sweep(AT_START_UP);
    expect(started.sort()).toEqual(['run-fresh']);
    expect(report).toMatchObject({ runsStarted: 1, runsNotQueued: 2 });
    expect(await store.getRun('run-phantom')).toBeUndefined();
  });

  it('a QUEUED run whose execution has already ended is failed with an account, not started pass after pass', async () => {
    const { recovery, store, executions } = await setUp();
    executions.set('run-stale', {
      status: 'FAILED',
      error: 'NotFoundError',
      cause: 'run run-stale does not exist',
    });
    const report = await recovery.sweep(SWEEP_GRACE);
    expect(report).toMatchObject({ runsStarted: 0, runsFailed: 1 });
    expect(await store.getRun('run-stale')).toMatchObject({
      status: 'FAILED',
      failure: {
        error: 'ExecutionEndedBeforeRun',
        cause:
          'its execution had ended FAILED (NotFoundError: run run-stale does not exist) before the run was recorded',
      },
    });
    expect(await recovery.sweep(SWEEP_GRACE)).toMatchObject({ runsStarted: 0, runsFailed: 0 });
  });
});

describe('recovery of handoffs', () => {
  it('a sweep tells runs about handoffs completed before a crash, and counts a failure without stopping', async () => {
    const base = {
      approvals: { unanswered: async () => [], answerSettled: async () => 'nothing' as const },
      runs: {
        listRuns: async () => [],
        getRun: async () => undefined,
        updateRun: async () => {
          throw new Error('not used');
        },
        appendJournal: async () => {},
        getIntent: async () => undefined,
      },
      orchestrator: { startRun: async () => {}, execution: async () => undefined },
      clock: { now: () => new Date('2026-12-01T10:00:00Z') },
    };
    const answered = await createRecovery({ ...base, handoffs: { answerCompleted: async () => 2 } }).sweep();
    expect(answered.handoffsAnswered).toBe(2);
    const failed = await createRecovery({
      ...base,
      handoffs: {
        answerCompleted: async () => {
          throw new Error('store down');
        },
      },
    }).sweep();
    expect(failed.failures).toBe(1);
  });
});

describe('recovery of actions whose answer never reached the run', () => {
  const token = (n: number) => `token-${n}`;
  const message = (runId: string, stepIndex: number, idempotencyKey = `key-${runId}-${stepIndex}`) => ({
    QueueUrl: 'https://sqs/actions',
    MessageBody: { taskToken: 'ignored', runId, stepIndex, idempotencyKey, action: {}, grant: {} },
  });
  const intent = (runId: string, stepIndex: number, overrides: Partial<Intent>): Intent => ({
    runId,
    stepIndex,
    stepId: `step-${stepIndex}`,
    title: 'A step',
    action: { type: 'state.upsert', params: {} },
    idempotencyKey: `key-${runId}-${stepIndex}`,
    status: 'RECORDED',
    attempts: 1,
    recordedAt: ago(900),
    ...overrides,
  });

  async function setUp() {
    const store = createMemoryStateStore();
    const result = { ok: true, output: { version: 1 }, durationMs: 5, attempts: 1 };
    const runs: [string, Partial<Intent> | undefined, string?][] = [
      ['run-done', { status: 'SUCCEEDED', result, finishedAt: ago(120) }],
      ['run-failed', { status: 'FAILED', error: 'HTTP 404', finishedAt: ago(120) }],
      ['run-unknown', { status: 'OUTCOME_UNKNOWN', error: 'aborted', finishedAt: ago(120) }],
      ['run-just-done', { status: 'SUCCEEDED', result, finishedAt: ago(10) }],
      ['run-executing', { status: 'EXECUTING' }],
      ['run-other-key', { status: 'SUCCEEDED', result, finishedAt: ago(120) }, 'another-key'],
      ['run-closed', { status: 'SUCCEEDED', result, finishedAt: ago(120) }],
      ['run-broken', { status: 'SUCCEEDED', result, finishedAt: ago(120) }],
      ['run-not-waiting', { status: 'SUCCEEDED', result, finishedAt: ago(120) }],
    ];
    const waiting = new Map<string, { stateName: string; token: string; parameters: unknown }>();
    for (const [index, [runId, patch, key]] of runs.entries()) {
      await store.createRun(runFixture({ runId, status: 'RUNNING', createdAt: ago(900) }));
      if (patch) await store.recordIntent(intent(runId, 2, patch));
      if (runId !== 'run-not-waiting')
        waiting.set(runId, {
          stateName: 'Execute action',
          token: token(index),
          parameters: message(runId, 2, key),
        });
    }
    const answers: unknown[][] = [];
    const errors: Record<string, string>[] = [];
    const closed = Object.assign(new Error('Task Timed Out'), { name: 'TaskTimedOut' });
    const recovery = createRecovery({
      approvals: { unanswered: async () => [], answerSettled: async () => 'nothing' as const },
      runs: store,
      orchestrator: { startRun: async () => {}, execution: async () => undefined },
      clock: fixedClock(NOW),
      actions: {
        waits: { waitingTask: async (runId) => waiting.get(runId) },
        callbacks: {
          async taskSucceeded(taskToken, output) {
            if (taskToken === token(7)) throw new Error('throttled');
            // The callbacks adapter reports a closed token as an answer, not an error.
            if (taskToken === token(6))
              return { outcome: 'closed' as const, error: closed.name, reason: closed.message };
            answers.push(['success', taskToken, output]);
            return ANSWERED;
          },
          async taskFailed(taskToken, error, cause) {
            answers.push(['failure', taskToken, error, cause]);
            return ANSWERED;
          },
        },
      },
      onError: (_message, _error, context) => errors.push(context),
    });
    return { recovery, store, answers, errors, result };
  }

  it('a sweep tells each run waiting on an ended action its recorded outcome, on the token it waits on now; never one that may still be answering', async () => {
    const { recovery, answers, errors, result } = await setUp();
    const report = await recovery.sweep(SWEEP_GRACE);
    expect(report).toMatchObject({ actionsAnswered: 3, actionsAlreadyAnswered: 1, failures: 1 });
    expect(answers).toEqual([
      ['success', token(0), result],
      ['failure', token(1), 'PermanentConnectorError', 'HTTP 404'],
      ['failure', token(2), 'OutcomeUnknownError', 'aborted'],
    ]);
    expect(errors).toEqual([{ runId: 'run-broken' }]);
  });

  it('at start-up nothing is still answering: an action that ended a moment ago is told too', async () => {
    const { recovery, answers } = await setUp();
    const report = await recovery.sweep(AT_START_UP);
    expect(report.actionsAnswered).toBe(4);
    expect(answers.map((a) => a[1])).toContain(token(3));
  });
});
