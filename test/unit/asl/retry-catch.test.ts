import { describe, expect, it } from 'vitest';
import { decideRetry, errorMatches } from '../../../lib/local/asl/retry-policy.ts';
import { createHarness, lambdaTask, timestampOf, types } from './harness.ts';
import { ManualClock } from './manual-clock.ts';

class TransientError extends Error {
  override name = 'TransientError';
}

describe('error matching and retry delays', () => {
  it('applies the wildcard rules of the real service', () => {
    expect(errorMatches(['States.ALL'], 'Anything')).toBe(true);
    expect(errorMatches(['States.ALL'], 'States.Runtime')).toBe(false);
    expect(errorMatches(['States.TaskFailed'], 'MyError')).toBe(true);
    expect(errorMatches(['States.TaskFailed'], 'States.Timeout')).toBe(false);
  });

  it('backs off exponentially, capped by MaxDelaySeconds, with FULL jitter scaling the delay', () => {
    const retrier = {
      ErrorEquals: ['E'],
      IntervalSeconds: 2,
      BackoffRate: 3,
      MaxAttempts: 4,
      MaxDelaySeconds: 10,
    };
    expect([0, 1, 2].map((n) => decideRetry([retrier], [n], 'E')?.delayMs)).toEqual([2000, 6000, 10000]);
    expect(decideRetry([retrier], [4], 'E')).toBeUndefined();
    expect(decideRetry([{ ...retrier, JitterStrategy: 'FULL' }], [0], 'E', () => 0.25)?.delayMs).toBe(500);
    expect(decideRetry([{ ErrorEquals: ['E'], MaxAttempts: 0 }], [], 'E')).toBeUndefined();
  });
});

describe('Retry and Catch (RetryThenSucceed)', () => {
  it('retries with growing intervals, then succeeds', async () => {
    let attempts = 0;
    const clock = new ManualClock();
    const h = createHarness({
      timeScale: 0.02,
      clock,
      definition: {
        StartAt: 'Flaky',
        States: {
          Flaky: lambdaTask('flaky', {
            Retry: [{ ErrorEquals: ['TransientError'], IntervalSeconds: 1, BackoffRate: 2, MaxAttempts: 3 }],
            End: true,
          }),
        },
      },
      lambdas: {
        flaky: () => {
          attempts++;
          if (attempts < 3) throw new TransientError('try again');
          return 'done';
        },
      },
    });
    const { executionArn } = await h.sfn.startExecution({ stateMachineName: 'machine', input: {} });
    // 1 s, then 2 s, scaled by 0.02, each from the failure it follows.
    await h.committed('TaskFailed', 1);
    const firstFailure = clock.now();
    expect(await clock.nextDeadline()).toBe(firstFailure + 20);
    clock.advanceTo(firstFailure + 20);
    await h.committed('TaskFailed', 2);
    expect(await clock.nextDeadline()).toBe(firstFailure + 20 + 40);
    clock.advanceTo(firstFailure + 20 + 40);
    const done = await h.sfn.waitForExecution(executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(attempts).toBe(3);
    const events = await h.history(executionArn);
    expect(events.filter((event) => event.type === 'TaskScheduled')).toHaveLength(3);
    const gap = (i: number) =>
      timestampOf(events, 'TaskScheduled', i) - timestampOf(events, 'TaskFailed', i - 1);
    expect([gap(1), gap(2)]).toEqual([20, 40]);
  });

  it('reports a thrown Error like Lambda does, and catches it into ResultPath', async () => {
    const h = createHarness({
      definition: {
        StartAt: 'Boom',
        States: {
          Boom: lambdaTask('boom', {
            Retry: [{ ErrorEquals: ['Other'], MaxAttempts: 5 }],
            Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Recover' }],
            Next: 'Unreached',
          }),
          Unreached: { Type: 'Succeed' },
          Recover: { Type: 'Succeed' },
        },
      },
      lambdas: {
        boom: () => {
          throw new TypeError('bad thing');
        },
      },
    });
    const done = await h.run({ id: 1 });
    expect(h.lambdaCalls).toHaveLength(1);
    expect(done.output).toEqual({
      id: 1,
      error: {
        Error: 'TypeError',
        Cause: JSON.stringify({ errorMessage: 'bad thing', errorType: 'TypeError' }),
      },
    });
    const events = await h.history(done.executionArn);
    expect(types(events)).toContain('TaskFailed');
    expect(events.find((event) => event.type === 'SucceedStateEntered')?.details.stateName).toBe('Recover');
  });

  it('fails the execution when the retries are exhausted and nothing catches', async () => {
    const h = createHarness({
      definition: {
        StartAt: 'Boom',
        States: {
          Boom: lambdaTask('boom', {
            Retry: [{ ErrorEquals: ['States.TaskFailed'], IntervalSeconds: 1, MaxAttempts: 2 }],
            End: true,
          }),
        },
      },
      lambdas: {
        boom: () => {
          throw new TransientError('always');
        },
      },
    });
    const done = await h.run();
    expect(h.lambdaCalls).toHaveLength(3);
    expect(done).toMatchObject({ status: 'FAILED', error: 'TransientError' });
    expect(types(await h.history(done.executionArn)).at(-1)).toBe('ExecutionFailed');
  });

  it('does not catch States.Runtime with States.ALL', async () => {
    const h = createHarness({
      definition: {
        StartAt: 'Bad',
        States: {
          Bad: lambdaTask('f', {
            ResultSelector: { 'x.$': '$.Payload.missing' },
            Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
            End: true,
          }),
          Caught: { Type: 'Succeed' },
        },
      },
      lambdas: { f: () => ({}) },
    });
    expect(await h.run()).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
  });
});
