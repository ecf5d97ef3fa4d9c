import { describe, expect, it } from 'vitest';
import { createMemoryExecutionStore } from '../../../lib/local/asl/index.ts';
import { countingExecutionStore as countingStore } from '../../support/counting-execution-store.ts';
import { ANSWERED_TOKEN_TASK, createHarness, types } from './harness.ts';

const sendAndWait = (resource = 'arn:aws:states:::sqs:sendMessage.waitForTaskToken') => ({
  StartAt: 'Send',
  States: {
    Send: {
      Type: 'Task',
      Resource: resource,
      Parameters: resource.includes(':sqs:')
        ? { QueueUrl: 'q', MessageBody: { 'token.$': '$$.Task.Token' } }
        : { FunctionName: 'notify', Payload: { 'token.$': '$$.Task.Token' } },
      End: true,
    },
  },
});

const tokenOf = (body: unknown) => (body as { token: string }).token;

describe('the wait for a sent message', () => {
  it('is committed with its answer when the answer comes soon: one checkpoint fewer', async () => {
    const { store, checkpoints } = countingStore();
    const h = createHarness({
      definition: sendAndWait(),
      store,
      onMessage: (body) => void h.sfn.sendTaskSuccess(tokenOf(body), '{"done":true}'),
    });
    const done = await h.run();
    expect(done).toMatchObject({ status: 'SUCCEEDED', output: { done: true } });
    // One: the answer, with the send, the wait and the end. Neither the token before the send
    // (the execution's key derives it again after a crash) nor the wait has a checkpoint of its own.
    expect(checkpoints()).toBe(1);
    expect(types(await h.history(done.executionArn))).toEqual(ANSWERED_TOKEN_TASK);
    await h.sfn.close();
  });

  it('is committed by itself when no answer comes, and by close()', async () => {
    const { store, checkpoints } = countingStore();
    const h = createHarness({ definition: sendAndWait(), store });
    await h.sfn.startExecution({ stateMachineName: 'machine', input: {} });
    await h.message();
    await h.committed('TaskSubmitted');
    expect(checkpoints()).toBe(1);
    await h.sfn.close();

    const closing = countingStore();
    const g = createHarness({ definition: sendAndWait(), store: closing.store });
    await g.sfn.startExecution({ stateMachineName: 'machine', input: {} });
    await g.message();
    await g.sfn.close();
    expect(
      (await closing.store.events((await closing.store.list())[0]?.executionArn ?? '')).at(-1)?.type,
    ).toBe('TaskSubmitted');
  });

  it('of an execution started before token keys existed, has its random token committed before the send', async () => {
    const { store, checkpoints } = countingStore();
    const h = createHarness({
      definition: sendAndWait(),
      // As an older version wrote it: no key to derive the token from again after a crash.
      store: {
        ...store,
        create: (meta) => {
          delete meta.tokenKey;
          return store.create(meta);
        },
      },
      onMessage: (body) => void h.sfn.sendTaskSuccess(tokenOf(body), '{"done":true}'),
    });
    const done = await h.run();
    expect(done).toMatchObject({ status: 'SUCCEEDED', output: { done: true } });
    expect(checkpoints()).toBe(2);
    await h.sfn.close();
  });

  it('a Lambda invoked with a token (a notification) is committed at once', async () => {
    const { store, checkpoints } = countingStore();
    const h = createHarness({
      definition: sendAndWait('arn:aws:states:::lambda:invoke.waitForTaskToken'),
      store,
      lambdas: { notify: () => ({}) },
    });
    await h.sfn.startExecution({ stateMachineName: 'machine', input: {} });
    await h.committed('TaskSubmitted');
    expect(checkpoints()).toBe(2);
    await h.sfn.close();
  });

  it('lost to a crash, it is sent again with the same token, which the restart answers', async () => {
    const store = createMemoryExecutionStore();
    // The first process "dies" after the send: never answered, never closed.
    const first = createHarness({ definition: sendAndWait(), store });
    const { executionArn } = await first.sfn.startExecution({ stateMachineName: 'machine', input: {} });
    const token = tokenOf(await first.message());

    const second = createHarness({
      definition: sendAndWait(),
      store,
      onMessage: (body) => void second.sfn.sendTaskSuccess(tokenOf(body), '{"again":true}'),
    });
    try {
      expect(await second.sfn.resumeAll()).toEqual([executionArn]);
      expect(tokenOf(await second.message())).toBe(token);
      expect(await second.sfn.waitForExecution(executionArn, 5_000)).toMatchObject({
        status: 'SUCCEEDED',
        output: { again: true },
      });
    } finally {
      await second.sfn.close();
    }
  });
});

describe('a stale answer while the wait for a sent message is not committed yet', () => {
  it('changes nothing: the wait and its events are still committed with the right answer', async () => {
    const h = createHarness({ definition: sendAndWait() });
    try {
      const { executionArn } = await h.sfn.startExecution({ stateMachineName: 'machine', input: {} });
      const token = tokenOf(await h.message());
      // The same execution, another task's token: the service says TaskTimedOut.
      const stale = `${'B'.repeat(43)}.${token.split('.')[1]}`;
      await expect(h.sfn.sendTaskSuccess(stale, '{}')).rejects.toMatchObject({ name: 'TaskTimedOut' });
      await h.sfn.sendTaskSuccess(token, '{"ok":true}');
      expect(await h.sfn.waitForExecution(executionArn, 5_000)).toMatchObject({ status: 'SUCCEEDED' });
      expect(types(await h.history(executionArn))).toEqual(ANSWERED_TOKEN_TASK);
      expect(h.messages).toHaveLength(1);
    } finally {
      await h.sfn.close();
    }
  });
});
