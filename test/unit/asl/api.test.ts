import { describe, expect, it, vi } from 'vitest';
import { createLocalStepFunctions, createMemoryExecutionStore } from '../../../lib/local/asl/index.ts';
import { createHarness, lambdaTask, types } from './harness.ts';

const waitingDefinition = {
  StartAt: 'Ask',
  States: {
    Ask: {
      Type: 'Task',
      Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
      Parameters: {
        QueueUrl: 'q',
        MessageBody: { 'token.$': '$$.Task.Token', 'name.$': '$.name' },
      },
      End: true,
    },
  },
};

describe('execution API', () => {
  it('uses ARNs shaped like the real ones', async () => {
    const h = createHarness({ definition: { StartAt: 'P', States: { P: { Type: 'Succeed' } } } });
    const done = await h.run({}, 'e1');
    expect(done.executionArn).toBe('arn:aws:states:local:000000000000:execution:machine:e1');
    expect(done.stateMachineArn).toBe('arn:aws:states:local:000000000000:stateMachine:machine');
  });

  it('returns the existing execution for a duplicate name with the same input, and refuses a different input', async () => {
    const h = createHarness({ definition: waitingDefinition });
    const first = await h.sfn.startExecution({
      stateMachineName: 'machine',
      name: 'dup',
      input: { a: 1, b: 2, name: 'dup' },
    });
    const again = await h.sfn.startExecution({
      stateMachineName: 'machine',
      name: 'dup',
      input: { b: 2, name: 'dup', a: 1 },
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
    const { executionArn } = await h.sfn.startExecution({
      stateMachineName: 'machine',
      name: 'stop-me',
      input: { name: 'stop-me' },
    });
    await h.sfn.startExecution({ stateMachineName: 'machine', name: 'keep-me', input: { name: 'keep-me' } });
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
      definitions: { m: JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Succeed' } } }) },
      resources: {},
      store: createMemoryExecutionStore(),
      onEvent: (_arn, event) => seen.push(event.id),
    });
    const { executionArn } = await sfn.startExecution({ stateMachineName: 'm' });
    await sfn.waitForExecution(executionArn, 5_000);
    expect(seen).toEqual([1, 2, 3, 4]);
  });

  it('waitForExecution reads nothing while this process holds the execution, and polls once it does not', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const store = createMemoryExecutionStore();
    let reads = 0;
    const h = createHarness({
      definition: waitingDefinition,
      store: {
        ...store,
        get: (arn) => {
          reads++;
          return store.get(arn);
        },
      },
    });
    try {
      const { executionArn } = await h.sfn.startExecution({
        stateMachineName: 'machine',
        input: { name: 'x' },
      });
      const body = (await h.message()) as { token: string };
      await h.committed('TaskSubmitted');
      const done = h.sfn.waitForExecution(executionArn, 5_000);
      await vi.advanceTimersByTimeAsync(2_000);
      // The first check only: the waiting execution's copy is this process's, its end is seen as committed.
      expect(reads).toBe(1);
      await h.sfn.sendTaskSuccess(body.token, '{"ok":1}');
      expect(await done).toMatchObject({ status: 'SUCCEEDED', output: { ok: 1 } });

      // Another interpreter's execution (on the same store) is polled for.
      const other = createHarness({ definition: waitingDefinition, store: h.store });
      const second = await h.sfn.startExecution({ stateMachineName: 'machine', input: { name: 'y' } });
      const secondBody = (await h.message(2)) as { token: string };
      await h.committed('TaskSubmitted', 2);
      const seen = other.sfn.waitForExecution(second.executionArn, 5_000);
      await h.sfn.sendTaskSuccess(secondBody.token, '{"ok":2}');
      await vi.advanceTimersByTimeAsync(300);
      expect(await seen).toMatchObject({ status: 'SUCCEEDED', output: { ok: 2 } });
      await other.sfn.close();
    } finally {
      vi.useRealTimers();
      await h.sfn.close();
    }
  });

  it('a second interpreter on the same store resumes a waiting execution after close()', async () => {
    const first = createHarness({ definition: waitingDefinition });
    const { executionArn } = await first.sfn.startExecution({
      stateMachineName: 'machine',
      input: { name: 'x' },
    });
    await first.message();
    await first.sfn.close();
    const second = createHarness({ definition: waitingDefinition, store: first.store });
    expect(await second.sfn.resumeAll()).toEqual([executionArn]);
    const sent = first.messages[0]?.body as { token: string } | undefined;
    await second.sfn.sendTaskSuccess(sent?.token ?? '', '{"ok":1}');
    expect(await second.sfn.waitForExecution(executionArn, 5_000)).toMatchObject({ output: { ok: 1 } });
    expect(second.messages).toHaveLength(0);
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

describe('the task an execution waits on', () => {
  it('names the token it waits on now and the parameters it was sent with; none once answered, none for an execution that does not wait', async () => {
    const h = createHarness({ definition: waitingDefinition });
    const { executionArn } = await h.sfn.startExecution({
      stateMachineName: 'machine',
      name: 'waiting',
      input: { name: 'waiting' },
    });
    const body = (await h.message()) as { token: string; name: string };
    expect(await h.sfn.waitingTask(executionArn)).toEqual({
      stateName: 'Ask',
      token: body.token,
      parameters: { QueueUrl: 'q', MessageBody: { token: body.token, name: 'waiting' } },
    });
    await h.sfn.sendTaskSuccess(body.token, '{}');
    await h.sfn.waitForExecution(executionArn, 5_000);
    expect(await h.sfn.waitingTask(executionArn)).toBeUndefined();
    expect(await h.sfn.waitingTask(`${executionArn}-none`)).toBeUndefined();
  });
});
