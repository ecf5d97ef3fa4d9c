import { describe, expect, it } from 'vitest';
import { createLocalStepFunctions, type Json } from '../../../lib/local/asl/index.ts';
import { isReplaySafeCall } from '../../../lib/local/run-machine.ts';
import { LOCAL_SUBSTITUTIONS } from '../../../lib/local/runtime-options.ts';
import { countingExecutionStore as countingStore } from '../../support/counting-execution-store.ts';
import { createSignal } from './signal.ts';

const ROUNDS = 10;

/** Decide i → Act i, ten times: each Decide is a call the host may name replay-safe. */
function chain(): string {
  const states: Record<string, unknown> = {};
  for (let i = 1; i <= ROUNDS; i += 1) {
    for (const kind of ['Decide', 'Act']) {
      states[`${kind} ${i}`] = {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: kind.toLowerCase(), Payload: { 'i.$': '$.i' } },
        ResultSelector: { 'i.$': '$.Payload.i' },
        ...(kind === 'Act' && i === ROUNDS
          ? { End: true }
          : { Next: kind === 'Decide' ? `Act ${i}` : `Decide ${i + 1}` }),
      };
    }
  }
  return JSON.stringify({ StartAt: 'Decide 1', States: states });
}

const safeDecide = (resource: string, parameters: Json) =>
  resource === 'arn:aws:states:::lambda:invoke' &&
  (parameters as { FunctionName?: string }).FunctionName === 'decide';

describe('replay-safe calls', () => {
  it.each([
    { named: false, checkpoints: 2 * ROUNDS },
    { named: true, checkpoints: ROUNDS },
  ])(
    'skip the checkpoint before the call after them (named replay-safe: $named)',
    async ({ named, checkpoints }) => {
      const { store, checkpoints: counted } = countingStore();
      const ended = createSignal();
      let done = false;
      const sfn = createLocalStepFunctions({
        definitions: { m: chain() },
        store,
        ...(named && { replaySafe: safeDecide }),
        onEvent: (_arn, event) => {
          if (event.type !== 'ExecutionSucceeded') return;
          done = true;
          ended.notify();
        },
        resources: { invokeLambda: async (_name, payload) => ({ i: (payload as { i: number }).i + 1 }) },
      });
      try {
        const { executionArn } = await sfn.startExecution({ stateMachineName: 'm', input: { i: 0 } });
        await ended.until(() => done);
        expect(await sfn.describeExecution(executionArn)).toMatchObject({
          status: 'SUCCEEDED',
          output: { i: 2 * ROUNDS },
        });
        const history = await sfn.getExecutionHistory(executionArn);
        expect(history.filter((event) => event.type === 'TaskSucceeded')).toHaveLength(2 * ROUNDS);
        // Each unsafe call's result is committed before the next call; a safe one's waits for the
        // checkpoint before the call after it. The last checkpoint is the execution's end.
        expect(counted()).toBe(checkpoints);
      } finally {
        await sfn.close();
      }
    },
  );

  it('are all a crash repeats: a restart takes the last checkpoint again, never an unsafe call', async () => {
    const { store } = countingStore();
    const calls: string[] = [];
    const stuck = createSignal();
    let inSecondAct = false;
    // The first interpreter "dies" inside Act 2: its call never returns, and nothing after it is committed.
    const first = createLocalStepFunctions({
      definitions: { m: chain() },
      store,
      replaySafe: safeDecide,
      resources: {
        invokeLambda: (name, payload) => {
          const i = (payload as { i: number }).i;
          calls.push(`${name}@${i}`);
          if (name === 'act' && i === 3) {
            inSecondAct = true;
            stuck.notify();
            return new Promise(() => undefined);
          }
          return Promise.resolve({ i: i + 1 });
        },
      },
    });
    const { executionArn } = await first.startExecution({ stateMachineName: 'm', input: { i: 0 } });
    await stuck.until(() => inSecondAct);
    expect(calls).toEqual(['decide@0', 'act@1', 'decide@2', 'act@3']);

    calls.length = 0;
    const ended = createSignal();
    let done = false;
    const second = createLocalStepFunctions({
      definitions: { m: chain() },
      store,
      replaySafe: safeDecide,
      onEvent: (_arn, event) => {
        if (event.type !== 'ExecutionSucceeded') return;
        done = true;
        ended.notify();
      },
      resources: {
        invokeLambda: async (name, payload) => {
          calls.push(`${name}@${(payload as { i: number }).i}`);
          return { i: (payload as { i: number }).i + 1 };
        },
      },
    });
    try {
      await second.resumeAll();
      await ended.until(() => done);
      // The checkpoint before Act 2 holds Act 1's result: only Decide 2 (safe) and Act 2 (never
      // finished) run again, Act 1 does not.
      expect(calls.slice(0, 2)).toEqual(['decide@2', 'act@3']);
      expect(calls).not.toContain('act@1');
      expect(await second.describeExecution(executionArn)).toMatchObject({
        status: 'SUCCEEDED',
        output: { i: 2 * ROUNDS },
      });
    } finally {
      await second.close();
    }
  });
});

describe('the run machine names replay-safe', () => {
  const lambda = 'arn:aws:states:::lambda:invoke';
  const call = (name: keyof typeof LOCAL_SUBSTITUTIONS, payload: Json) => ({
    FunctionName: LOCAL_SUBSTITUTIONS[name] as string,
    Payload: payload,
  });

  it('the executor recording an intent and the monitor, nothing else', () => {
    expect(isReplaySafeCall(lambda, call('ExecutorFunctionArn', { runId: 'r', stepIndex: 0 }))).toBe(true);
    expect(isReplaySafeCall(lambda, call('MonitorFunctionArn', { runId: 'r', stepIndex: 0 }))).toBe(true);
    expect(isReplaySafeCall(lambda, call('ExecutorFunctionArn', { op: 'approved', runId: 'r' }))).toBe(false);
    expect(
      isReplaySafeCall(lambda, call('ExecutorFunctionArn', { op: 'plan-compensation', runId: 'r' })),
    ).toBe(false);
    expect(isReplaySafeCall(lambda, call('PlannerFunctionArn', { runId: 'r' }))).toBe(false);
    expect(isReplaySafeCall(lambda, call('RunRecorderFunctionArn', { op: 'start', runId: 'r' }))).toBe(false);
    expect(isReplaySafeCall(`${lambda}.waitForTaskToken`, call('MonitorFunctionArn', {}))).toBe(false);
  });
});
