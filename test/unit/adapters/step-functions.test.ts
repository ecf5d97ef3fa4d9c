import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import {
  createStepFunctionsCallbacks,
  createStepFunctionsOrchestrator,
  createStepFunctionsTaskWaits,
  waitingTaskOf,
} from '../../../functions/adapters/aws/step-functions.ts';
import { isClosedTaskToken } from '../../../functions/adapters/task-answers.ts';
import { fakeSfn } from '../../support/fake-sfn.ts';

const STATE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:AiosRun';

describe('Step Functions adapters', () => {
  it('starts an execution named after the run, with the run id as input', async () => {
    const { client, sent } = fakeSfn();
    await createStepFunctionsOrchestrator(client, STATE_MACHINE).startRun('onboarding-1');
    expect(sent).toEqual([
      {
        command: 'StartExecutionCommand',
        input: { stateMachineArn: STATE_MACHINE, name: 'onboarding-1', input: '{"runId":"onboarding-1"}' },
      },
    ]);
  });

  it('takes a second start of the same run (ExecutionAlreadyExists) as started; other errors still fail', async () => {
    let failure = 'ExecutionAlreadyExists';
    const { client } = fakeSfn({ fail: () => Object.assign(new Error(failure), { name: failure }) });
    const orchestrator = createStepFunctionsOrchestrator(client, STATE_MACHINE);
    await expect(orchestrator.startRun('onboarding-1')).resolves.toBeUndefined();
    failure = 'ExecutionLimitExceeded';
    await expect(orchestrator.startRun('onboarding-1')).rejects.toThrow('ExecutionLimitExceeded');
  });

  it("describes the run's execution (named after the run): its status, error and cause", async () => {
    const { client, sent } = fakeSfn({
      answer: () => ({ status: 'FAILED', error: 'NotFoundError', cause: 'run onboarding-1 does not exist' }),
    });
    const execution = await createStepFunctionsOrchestrator(client, STATE_MACHINE).execution('onboarding-1');
    expect(execution).toEqual({
      status: 'FAILED',
      error: 'NotFoundError',
      cause: 'run onboarding-1 does not exist',
    });
    expect(sent).toEqual([
      {
        command: 'DescribeExecutionCommand',
        input: { executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:AiosRun:onboarding-1' },
      },
    ]);
  });

  it('an execution that does not exist is undefined; other errors still fail', async () => {
    let failure = 'ExecutionDoesNotExist';
    const { client } = fakeSfn({ fail: () => Object.assign(new Error(failure), { name: failure }) });
    const orchestrator = createStepFunctionsOrchestrator(client, STATE_MACHINE);
    await expect(orchestrator.execution('onboarding-1')).resolves.toBeUndefined();
    failure = 'ThrottlingException';
    await expect(orchestrator.execution('onboarding-1')).rejects.toThrow('ThrottlingException');
  });

  it("reads a run's history across pages and takes state names and errors out of the event details", async () => {
    const { client, sent } = fakeSfn({
      pages: [
        {
          events: [
            {
              id: 1,
              timestamp: new Date('2026-11-25T10:00:00Z'),
              type: 'ExecutionStarted',
              executionStartedEventDetails: {},
            },
            {
              id: 2,
              timestamp: new Date('2026-11-25T10:00:01Z'),
              type: 'TaskStateEntered',
              stateEnteredEventDetails: { name: 'Plan steps' },
            },
          ],
          nextToken: '1',
        },
        {
          events: [
            {
              id: 3,
              timestamp: new Date('2026-11-25T10:00:02Z'),
              type: 'TaskFailed',
              taskFailedEventDetails: { error: 'MalformedPlanError', cause: 'not JSON' },
            },
          ],
        },
      ],
    });
    const events = await createStepFunctionsOrchestrator(client, STATE_MACHINE).history('onboarding-1');
    expect(sent[0]?.input).toMatchObject({
      executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:AiosRun:onboarding-1',
      includeExecutionData: false,
    });
    expect(events).toEqual([
      { id: 1, timestamp: '2026-11-25T10:00:00.000Z', type: 'ExecutionStarted' },
      { id: 2, timestamp: '2026-11-25T10:00:01.000Z', type: 'TaskStateEntered', stateName: 'Plan steps' },
      {
        id: 3,
        timestamp: '2026-11-25T10:00:02.000Z',
        type: 'TaskFailed',
        error: 'MalformedPlanError',
        cause: 'not JSON',
      },
    ]);
  });

  it('answers task tokens with JSON output and a bounded cause', async () => {
    const { client, sent } = fakeSfn();
    const callbacks = createStepFunctionsCallbacks(client);
    await callbacks.taskSucceeded('tok', { ok: true });
    await callbacks.taskFailed('tok', 'PermanentConnectorError', 'x'.repeat(40_000));
    expect(sent[0]).toEqual({
      command: 'SendTaskSuccessCommand',
      input: { taskToken: 'tok', output: '{"ok":true}' },
    });
    expect(String(sent[1]?.input.cause ?? '')).toHaveLength(16_000);
  });

  it('knows the errors that mean a token was already answered or expired', () => {
    const named = (name: string) => Object.assign(new Error(name), { name });
    expect(isClosedTaskToken(named('TaskTimedOut'))).toBe(true);
    expect(isClosedTaskToken(named('InvalidToken'))).toBe(true);
    expect(isClosedTaskToken(named('TaskDoesNotExist'))).toBe(true);
    expect(isClosedTaskToken(named('ThrottlingException'))).toBe(false);
  });
});

describe('the task a Step Functions execution waits on', () => {
  const scheduled = (parameters: unknown) => ({
    id: 12,
    type: 'TaskScheduled',
    taskScheduledEventDetails: {
      resource: 'sendMessage.waitForTaskToken',
      parameters: JSON.stringify(parameters),
    },
  });
  const entered = { id: 11, type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Execute action' } };
  const message = { QueueUrl: 'q', MessageBody: { taskToken: 'tok-1', runId: 'r', stepIndex: 0 } };
  // Newest first, shaped as the SDK returns them (timestamps do not matter here).
  const newestFirst = (...events: unknown[]) => events as HistoryEvent[];

  it('is the newest TaskScheduled with a task token, until an event ends its wait', () => {
    const started = { id: 13, type: 'TaskStarted' };
    const submitted = { id: 14, type: 'TaskSubmitted' };
    expect(waitingTaskOf(newestFirst(submitted, started, scheduled(message), entered))).toEqual({
      stateName: 'Execute action',
      token: 'tok-1',
      parameters: message,
    });
    // A body sent as JSON text is read as well.
    const asText = { ...message, MessageBody: JSON.stringify(message.MessageBody) };
    expect(waitingTaskOf(newestFirst(scheduled(asText), entered))?.token).toBe('tok-1');
    expect(
      waitingTaskOf(newestFirst({ id: 15, type: 'TaskSucceeded' }, submitted, scheduled(message), entered)),
    ).toBeUndefined();
    expect(
      waitingTaskOf(newestFirst({ id: 15, type: 'TaskTimedOut' }, submitted, scheduled(message), entered)),
    ).toBeUndefined();
    // A Lambda task carries no token: nothing waits for one.
    expect(
      waitingTaskOf(newestFirst(scheduled({ FunctionName: 'f', Payload: {} }), entered)),
    ).toBeUndefined();
    expect(waitingTaskOf(newestFirst())).toBeUndefined();
  });

  it('is read from the newest events of the execution named after the run; an execution that does not exist waits on nothing', async () => {
    const sfn = fakeSfn({
      history: ({ input }) =>
        String(input.executionArn).endsWith(':gone') ? undefined : { events: [scheduled(message), entered] },
      fail: ({ input }) =>
        String(input.executionArn).endsWith(':gone')
          ? Object.assign(new Error('no such execution'), { name: 'ExecutionDoesNotExist' })
          : undefined,
    });
    const waits = createStepFunctionsTaskWaits(sfn.client, STATE_MACHINE);
    expect((await waits.waitingTask('run-1'))?.token).toBe('tok-1');
    expect(sfn.sent[0]?.input).toMatchObject({
      executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:AiosRun:run-1',
      reverseOrder: true,
      includeExecutionData: true,
    });
    expect(await waits.waitingTask('gone')).toBeUndefined();
  });
});
