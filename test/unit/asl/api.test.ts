import { describe, expect, it } from 'vitest';
import {
  createLocalStepFunctions,
  createMemoryExecutionStore,
  type ExecutionStore,
} from '../../../lib/local/asl/index.ts';
import { createHarness, lambdaTask, timestampOf, types } from './harness.ts';
import { ManualClock } from './manual-clock.ts';

const waitingDefinition = {
  StartAt: 'Ask',
  States: {
    Ask: {
      Type: 'Task',
      Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
      Parameters: {
        QueueUrl: 'q',
        MessageBody: { 'token.$': '$$.Task.Token', 'name.$': '$$.Execution.Name' },
      },
      End: true,
    },
  },
};

describe('execution API', () => {
  it('uses ARNs shaped like the real ones', async () => {
    const h = createHarness({ definition: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } } });
    const done = await h.run({}, 'e1');
    expect(done.executionArn).toBe('arn:aws:states:local:000000000000:execution:machine:e1');
    expect(done.stateMachineArn).toBe('arn:aws:states:local:000000000000:stateMachine:machine');
  });

  it('returns the existing execution for a duplicate name with the same input, and refuses a different input', async () => {
    const h = createHarness({ definition: waitingDefinition });
    const first = await h.sfn.startExecution({
      stateMachineName: 'machine',
      name: 'dup',
      input: { a: 1, b: 2 },
    });
    const again = await h.sfn.startExecution({
      stateMachineName: 'machine',
      name: 'dup',
      input: { b: 2, a: 1 },
    });
    expect(again.executionArn).toBe(first.executionArn);
    await expect(
      h.sfn.startExecution({ stateMachineName: 'machine', name: 'dup', input: { a: 2 } }),
    ).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    await expect(h.sfn.startExecution({ stateMachineName: 'nope', input: {} })).rejects.toMatchObject({
      name: 'StateMachineDoesNotExist',
    });
  });

  it('stops an execution: ABORTED, its token closed, and listed by status', async () => {
    const h = createHarness({ definition: waitingDefinition });
    const { executionArn } = await h.sfn.startExecution({ stateMachineName: 'machine', name: 'stop-me' });
    await h.sfn.startExecution({ stateMachineName: 'machine', name: 'keep-me' });
    await h.message(2);
    const body = h.messages.find((m) => (m.body as { name: string }).name === 'stop-me')?.body as {
      token: string;
    };
    await h.sfn.stopExecution(executionArn, { error: 'Operator', cause: 'changed my mind' });
    expect(await h.sfn.describeExecution(executionArn)).toMatchObject({
      status: 'ABORTED',
      error: 'Operator',
      cause: 'changed my mind',
    });
    expect(types(await h.history(executionArn)).at(-1)).toBe('ExecutionAborted');
    expect((await h.sfn.listExecutions({ status: 'ABORTED' })).map((e) => e.name)).toEqual(['stop-me']);
    expect((await h.sfn.listExecutions({ status: 'RUNNING' })).map((e) => e.name)).toEqual(['keep-me']);
    await expect(h.sfn.sendTaskSuccess(body.token, '{}')).rejects.toMatchObject({ name: 'TaskTimedOut' });
    await expect(h.sfn.describeExecution(`${executionArn}x`)).rejects.toMatchObject({
      name: 'ExecutionDoesNotExist',
    });
  });

  it('reports every committed event to onEvent, in order', async () => {
    const seen: number[] = [];
    const sfn = createLocalStepFunctions({
      definitions: { m: JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }) },
      resources: {},
      store: createMemoryExecutionStore(),
      onEvent: (_arn, event) => seen.push(event.id),
    });
    const { executionArn } = await sfn.startExecution({ stateMachineName: 'm' });
    await sfn.waitForExecution(executionArn, 5_000);
    expect(seen).toEqual([1, 2, 3, 4]);
  });

  it('a second interpreter on the same store resumes a waiting execution after close()', async () => {
    const first = createHarness({ definition: waitingDefinition });
    const { executionArn } = await first.sfn.startExecution({ stateMachineName: 'machine' });
    await first.message();
    await first.sfn.close();
    const second = createHarness({ definition: waitingDefinition, store: first.store });
    expect(await second.sfn.resumeAll()).toEqual([executionArn]);
    const sent = first.messages[0]?.body as { token: string } | undefined;
    await second.sfn.sendTaskSuccess(sent?.token ?? '', '{"ok":1}');
    expect(await second.sfn.waitForExecution(executionArn, 5_000)).toMatchObject({ output: { ok: 1 } });
    expect(second.messages).toHaveLength(0);
  });

  it.each([
    ['after the first interpreter armed it', false],
    ['when the first interpreter stopped before its first step', true],
  ])('a Wait keeps its absolute deadline across a restart %s', async (_case, stopBeforeFirstStep) => {
    const { clock, entered, gate, h: first, executionArn } = await startPauseBehindHeldReads();
    if (stopBeforeFirstStep) {
      // close() lands while the first step is still loading the execution, so that step never runs.
      const closing = first.sfn.close();
      gate.release();
      await closing;
    } else {
      gate.release();
      expect(await clock.nextDeadline()).toBe(entered + 1000);
      await first.sfn.close();
    }
    clock.advance(300);
    const second = createHarness({ definition: pauseOneSecond, timeScale: 1, clock, store: gate.store });
    await second.sfn.resumeAll();
    // 1 s from entering the state, not counted again from the restart (which would end it at 1.3 s).
    expect(await clock.nextDeadline()).toBe(entered + 1000);
    clock.advanceTo(entered + 1000);
    await second.sfn.waitForExecution(executionArn);
    const events = await second.history(executionArn);
    expect(timestampOf(events, 'WaitStateEntered')).toBe(entered);
    expect(timestampOf(events, 'WaitStateExited')).toBe(entered + 1000);
  });

  it('a Wait counts from entering the state, however late the interpreter first steps it', async () => {
    const { clock, entered, gate, h, executionArn } = await startPauseBehindHeldReads();
    clock.advance(300);
    gate.release();
    expect(await clock.nextDeadline()).toBe(entered + 1000);
    clock.advanceTo(entered + 1000);
    await h.sfn.waitForExecution(executionArn);
    expect(timestampOf(await h.history(executionArn), 'WaitStateExited')).toBe(entered + 1000);
  });

  it('a failing handler of one execution does not disturb another', async () => {
    const h = createHarness({
      definition: { StartAt: 'T', States: { T: lambdaTask('f', { End: true }) } },
      lambdas: {
        f: (p) => {
          if ((p as { bad?: boolean }).bad) throw new Error('bug');
          return 'fine';
        },
      },
    });
    const [bad, good] = await Promise.all([h.run({ bad: true }), h.run({})]);
    expect(bad).toMatchObject({ status: 'FAILED', error: 'Error' });
    expect(good.status).toBe('SUCCEEDED');
  });
});

const pauseOneSecond = { StartAt: 'Pause', States: { Pause: { Type: 'Wait', Seconds: 1, End: true } } };

/** Starts a one-second Wait on a manual clock, its interpreter's reads held until `gate.release()`. */
async function startPauseBehindHeldReads() {
  const clock = new ManualClock();
  const entered = clock.now();
  const gate = holdReads(createMemoryExecutionStore());
  const h = createHarness({ definition: pauseOneSecond, timeScale: 1, clock, store: gate.store });
  const { executionArn } = await h.sfn.startExecution({ stateMachineName: 'machine' });
  return { clock, entered, gate, h, executionArn };
}

/** A store whose reads wait until `release()`, as on a busy machine or a slow disk. */
function holdReads(inner: ExecutionStore) {
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const store: ExecutionStore = {
    ...inner,
    async get(arn) {
      await held;
      return inner.get(arn);
    },
  };
  return { store, release };
}
