import { describe, expect, it } from 'vitest';
import { createHarness, types } from './harness.ts';

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

async function waitForMessage(h: ReturnType<typeof createHarness>, count = 1) {
  for (let i = 0; i < 200 && h.messages.length < count; i++) await new Promise((r) => setTimeout(r, 5));
  const message = h.messages[count - 1];
  if (!message) throw new Error('no message was sent');
  return tokenOf(message.body);
}

describe('waitForTaskToken (HappyPath / ApprovalRejected / ApprovalTimedOut)', () => {
  it('sends the token with the message and resumes with the output of sendTaskSuccess', async () => {
    const h = createHarness({ definition: tokenDefinition() });
    const { executionArn } = await h.sfn.startExecution({
      stateMachineName: 'machine',
      input: { item: 'x' },
    });
    const token = await waitForMessage(h);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await h.sfn.describeExecution(executionArn)).status).toBe('RUNNING');
    await h.sfn.sendTaskSuccess(token, JSON.stringify({ approved: true }));
    const done = await h.sfn.waitForExecution(executionArn, 5_000);
    expect(done.output).toEqual({ item: 'x', approval: { approved: true } });
    expect(types(await h.history(executionArn))).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
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

  it('times out with States.Timeout after TimeoutSeconds, and closes the token', async () => {
    const h = createHarness({ definition: tokenDefinition({ TimeoutSeconds: 1 }), timeScale: 0.05 });
    const { executionArn } = await h.sfn.startExecution({
      stateMachineName: 'machine',
      input: { item: 'x' },
    });
    const token = await waitForMessage(h);
    const done = await h.sfn.waitForExecution(executionArn, 5_000);
    expect(done).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
    expect(types(await h.history(executionArn))).toContain('TaskTimedOut');
    await expect(h.sfn.sendTaskSuccess(token, '{}')).rejects.toMatchObject({ name: 'TaskTimedOut' });
  });

  it('keeps waiting while heartbeats arrive within HeartbeatSeconds, then times out without them', async () => {
    const h = createHarness({ definition: tokenDefinition({ HeartbeatSeconds: 2 }), timeScale: 0.05 });
    const { executionArn } = await h.sfn.startExecution({
      stateMachineName: 'machine',
      input: { item: 'x' },
    });
    const token = await waitForMessage(h);
    // Heartbeat window: 2 s × 0.05 = 100 ms; beat every 50 ms for 300 ms.
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 50));
      await h.sfn.sendTaskHeartbeat(token);
    }
    expect((await h.sfn.describeExecution(executionArn)).status).toBe('RUNNING');
    const done = await h.sfn.waitForExecution(executionArn, 5_000);
    expect(done).toMatchObject({ status: 'FAILED', error: 'States.HeartbeatTimeout' });
  });

  it('retries a timed-out task with a new token when Retry matches States.Timeout', async () => {
    const h = createHarness({
      definition: tokenDefinition({
        TimeoutSeconds: 1,
        Retry: [{ ErrorEquals: ['States.Timeout'], MaxAttempts: 1 }],
      }),
      timeScale: 0.02,
    });
    const { executionArn } = await h.sfn.startExecution({
      stateMachineName: 'machine',
      input: { item: 'x' },
    });
    const first = await waitForMessage(h, 1);
    const second = await waitForMessage(h, 2);
    expect(second).not.toBe(first);
    await h.sfn.sendTaskSuccess(second, '"ok"');
    expect(await h.sfn.waitForExecution(executionArn, 5_000)).toMatchObject({
      output: { item: 'x', approval: 'ok' },
    });
  });

  it('rejects malformed and never-issued tokens with InvalidToken', async () => {
    const h = createHarness({ definition: tokenDefinition() });
    await expect(h.sfn.sendTaskSuccess('nope', '{}')).rejects.toMatchObject({ name: 'InvalidToken' });
    await expect(h.sfn.sendTaskHeartbeat('A'.repeat(43))).rejects.toMatchObject({ name: 'InvalidToken' });
    await expect(h.sfn.sendTaskFailure('A'.repeat(43), 'E')).rejects.toMatchObject({ name: 'InvalidToken' });
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
    for (let i = 0; i < 200 && tokens.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    await h.sfn.sendTaskSuccess(tokens[0] as string, { answer: 42 });
    expect((await h.sfn.waitForExecution(executionArn, 5_000)).output).toEqual({ answer: 42 });
  });
});
