import { describe, expect, it } from 'vitest';
import { createMemoryExecutionStore, type ExecutionStore } from '../../../lib/local/asl/index.ts';
import { ANSWERED_TOKEN_TASK, createHarness, timestampOf, types } from './harness.ts';
import { ManualClock } from './manual-clock.ts';

const tokenDefinition = (extra: object = {}) => ({
  StartAt: 'Approve',
  States: {
    Approve: {
      Type: 'Task',
      Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
      Parameters: {
        QueueUrl: 'approvals',
        MessageBody: { 'taskToken.$': '$$.Task.Token', 'item.$': '$.item' },
      },
      ResultPath: '$.approval',
      ...extra,
      End: true,
    },
  },
});

const tokenOf = (body: unknown) => (body as { taskToken: string }).taskToken;

const waitForMessage = async (h: ReturnType<typeof createHarness>, count = 1) =>
  tokenOf(await h.message(count));

describe('waitForTaskToken (HappyPath / ApprovalRejected / ApprovalTimedOut)', () => {
  it('sends the token with the message and resumes with the output of sendTaskSuccess', async () => {
    const h = createHarness({ definition: tokenDefinition() });
    const { executionArn } = await h.sfn.startExecution({
      stateMachineName: 'machine',
      input: { item: 'x' },
    });
    const token = await waitForMessage(h);
    // 32 random bytes, then the execution it belongs to: an answer needs no record of the token.
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]+$/);
    expect(Buffer.from(token.split('.')[1] as string, 'base64url').toString()).toBe(executionArn);
    expect((await h.sfn.describeExecution(executionArn)).status).toBe('RUNNING');
    await h.sfn.sendTaskSuccess(token, JSON.stringify({ approved: true }));
    const done = await h.sfn.waitForExecution(executionArn, 5_000);
    expect(done.output).toEqual({ item: 'x', approval: { approved: true } });
    expect(types(await h.history(executionArn))).toEqual(ANSWERED_TOKEN_TASK);
    await expect(h.sfn.sendTaskSuccess(token, '{}')).rejects.toMatchObject({ name: 'TaskTimedOut' });
  });

  it('fails the task with the error and cause of sendTaskFailure', async () => {
    const h = createHarness({ definition: tokenDefinition(), onMessage: () => undefined });
    const { executionArn } = await h.sfn.startExecution({
      stateMachineName: 'machine',
      input: { item: 'x' },
    });
    await h.sfn.sendTaskFailure(await waitForMessage(h), 'ApprovalRejected', 'operator said no');
    expect(await h.sfn.waitForExecution(executionArn, 5_000)).toMatchObject({
      status: 'FAILED',
      error: 'ApprovalRejected',
      cause: 'operator said no',
    });
  });

  it('times out with States.Timeout TimeoutSeconds after the task started, and closes the token', async () => {
    const clock = new ManualClock();
    const started = clock.now();
    const h = createHarness({ definition: tokenDefinition({ TimeoutSeconds: 1 }), timeScale: 1, clock });
    const { executionArn } = await h.sfn.startExecution({
      stateMachineName: 'machine',
      input: { item: 'x' },
    });
    const token = await waitForMessage(h);
    await h.committed('TaskSubmitted');
    expect(await clock.nextDeadline()).toBe(started + 1000);
    clock.advanceTo(started + 1000);
    const done = await h.sfn.waitForExecution(executionArn);
    expect(done).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
    const events = await h.history(executionArn);
    expect(timestampOf(events, 'TaskTimedOut')).toBe(started + 1000);
    await expect(h.sfn.sendTaskSuccess(token, '{}')).rejects.toMatchObject({ name: 'TaskTimedOut' });
  });

  it('starts a task however late after scheduling, and counts its timeout from the start', async () => {
    const clock = new ManualClock();
    const scheduled = clock.now();
    // A store that is slow to checkpoint the scheduled task, as a busy machine or a slow disk would be.
    const memory = createMemoryExecutionStore();
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow: ExecutionStore = {
      ...memory,
      async replace(meta, expectedVersion) {
        if (meta.pendingEvents.some((event) => event.type === 'TaskScheduled')) await held;
        return memory.replace(meta, expectedVersion);
      },
    };
    const h = createHarness({
      definition: tokenDefinition({ TimeoutSeconds: 1 }),
      timeScale: 1,
      clock,
      store: slow,
    });
    const { executionArn } = await h.sfn.startExecution({
      stateMachineName: 'machine',
      input: { item: 'x' },
    });
    clock.advance(5_000);
    release();
    await Promise.race([h.message(), h.sfn.waitForExecution(executionArn)]);
    expect(h.messages).toHaveLength(1);
    expect(await clock.nextDeadline()).toBe(scheduled + 5_000 + 1000);
    await h.sfn.sendTaskSuccess(await waitForMessage(h), '"ok"');
    expect(await h.sfn.waitForExecution(executionArn)).toMatchObject({
      status: 'SUCCEEDED',
      output: { item: 'x', approval: 'ok' },
    });
  });

  it('retries a timed-out task with a new token when Retry matches States.Timeout', async () => {
    const clock = new ManualClock();
    const h = createHarness({
      definition: tokenDefinition({
        TimeoutSeconds: 1,
        Retry: [{ ErrorEquals: ['States.Timeout'], MaxAttempts: 1 }],
      }),
      timeScale: 1,
      clock,
    });
    const { executionArn } = await h.sfn.startExecution({
      stateMachineName: 'machine',
      input: { item: 'x' },
    });
    const first = await waitForMessage(h, 1);
    await h.committed('TaskSubmitted');
    clock.advance(1000);
    await h.committed('TaskTimedOut');
    // The retrier's default interval: 1 s.
    clock.advance(1000);
    const second = await waitForMessage(h, 2);
    expect(second).not.toBe(first);
    await h.sfn.sendTaskSuccess(second, '"ok"');
    expect(await h.sfn.waitForExecution(executionArn)).toMatchObject({
      output: { item: 'x', approval: 'ok' },
    });
  });

  it('rejects malformed and never-issued tokens with InvalidToken', async () => {
    const h = createHarness({ definition: tokenDefinition() });
    await expect(h.sfn.sendTaskSuccess('nope', '{}')).rejects.toMatchObject({ name: 'InvalidToken' });
    await expect(h.sfn.sendTaskSuccess('A'.repeat(43), '{}')).rejects.toMatchObject({ name: 'InvalidToken' });
    await expect(h.sfn.sendTaskFailure('A'.repeat(43), 'E')).rejects.toMatchObject({ name: 'InvalidToken' });
    // Well formed, but for an execution that does not exist.
    const forged = `${'A'.repeat(43)}.${Buffer.from('arn:aws:states:local:000000000000:execution:machine:none').toString('base64url')}`;
    await expect(h.sfn.sendTaskSuccess(forged, '{}')).rejects.toMatchObject({ name: 'InvalidToken' });
    // Not this interpreter's executions at all.
    const foreign = `${'A'.repeat(43)}.${Buffer.from('arn:aws:states:us-east-1:1:execution:m:x').toString('base64url')}`;
    await expect(h.sfn.sendTaskSuccess(foreign, '{}')).rejects.toMatchObject({ name: 'InvalidToken' });
  });

  it('rejects output that is not JSON text with InvalidOutput', async () => {
    const h = createHarness({ definition: tokenDefinition() });
    await h.sfn.startExecution({ stateMachineName: 'machine', input: { item: 'x' } });
    await expect(h.sfn.sendTaskSuccess(await waitForMessage(h), '{not json')).rejects.toMatchObject({
      name: 'InvalidOutput',
    });
  });

  it('passes the token to lambda:invoke.waitForTaskToken too', async () => {
    const tokens: string[] = [];
    const h = createHarness({
      definition: {
        StartAt: 'Ask',
        States: {
          Ask: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
            Parameters: { FunctionName: 'ask', Payload: { 'token.$': '$$.Task.Token' } },
            End: true,
          },
        },
      },
      lambdas: {
        ask: (payload) => {
          tokens.push((payload as { token: string }).token);
          return 'ignored';
        },
      },
    });
    const { executionArn } = await h.sfn.startExecution({ stateMachineName: 'machine' });
    await h.committed('TaskSubmitted');
    await h.sfn.sendTaskSuccess(tokens[0] as string, { answer: 42 });
    expect((await h.sfn.waitForExecution(executionArn, 5_000)).output).toEqual({ answer: 42 });
  });
});
