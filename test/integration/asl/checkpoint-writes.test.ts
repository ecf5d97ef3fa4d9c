import { PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { createDynamoDBExecutionStore, createLocalStepFunctions } from '../../../lib/local/asl/index.ts';
import { startEmbeddedDynamoDB } from '../../../lib/local/embedded-dynamodb.ts';
import { createSignal } from '../../unit/asl/signal.ts';

const CALLS = 30;

/** Call-1 → Pass → Choice → … → Call-30: each call is followed by two states that call nothing. */
function chain(): string {
  const states: Record<string, unknown> = {};
  for (let i = 1; i <= CALLS; i += 1) {
    const last = i === CALLS;
    states[`Call ${i}`] = {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: 'f', Payload: { 'i.$': '$.i' } },
      ResultSelector: { 'i.$': '$.Payload.i', 'tag.$': '$.Payload.tag' },
      Next: `Shape ${i}`,
    };
    states[`Shape ${i}`] = { Type: 'Pass', Next: `Route ${i}` };
    states[`Route ${i}`] = {
      Type: 'Choice',
      Choices: [{ Variable: '$.tag', StringEquals: 'never', Next: 'Never' }],
      Default: last ? 'Done' : `Call ${i + 1}`,
    };
  }
  states.Never = { Type: 'Fail', Error: 'Never' };
  states.Done = { Type: 'Succeed' };
  return JSON.stringify({ StartAt: 'Call 1', States: states });
}

describe('checkpoints on the DynamoDB store', () => {
  it('commits once per call, with the states between calls, and reads back nothing it wrote', async () => {
    const dynamo = await startEmbeddedDynamoDB({ tables: ['aios-local-executions'] });
    const requests: { operation: string }[] = [];
    dynamo.client.middlewareStack.add(
      (next, context) => (args) => {
        requests.push({ operation: context.commandName ?? '' });
        return next(args);
      },
      { step: 'initialize', name: 'countRequests' },
    );
    // Waited for through its events: waitForExecution would add reads of its own.
    const ended = createSignal();
    let succeeded = false;
    const sfn = createLocalStepFunctions({
      definitions: { m: chain() },
      onEvent: (_arn, event) => {
        if (event.type !== 'ExecutionSucceeded') return;
        succeeded = true;
        ended.notify();
      },
      store: createDynamoDBExecutionStore({ client: dynamo.client }),
      resources: {
        invokeLambda: async (_name, payload) => ({ i: (payload as { i: number }).i + 1, tag: 'go' }),
      },
    });
    try {
      const { executionArn } = await sfn.startExecution({
        stateMachineName: 'm',
        input: { i: 0, tag: 'go' },
      });
      await ended.until(() => succeeded);
      const during = requests.splice(0);
      expect(await sfn.describeExecution(executionArn)).toMatchObject({
        status: 'SUCCEEDED',
        output: { i: CALLS, tag: 'go' },
      });
      const history = await sfn.getExecutionHistory(executionArn);

      // Every transition is in the history, in order, each event once.
      expect(history.map((event) => event.id)).toEqual(history.map((_, i) => i + 1));
      expect(history.filter((event) => event.type === 'TaskSucceeded')).toHaveLength(CALLS);
      expect(history.filter((event) => event.type === 'ChoiceStateExited')).toHaveLength(CALLS);
      expect(history.at(-1)?.type).toBe('ExecutionSucceeded');
      // One checkpoint per call (the one before it carries the result of the call before), the
      // start and the end: not one per transition (about 7 per call). The events move to their own
      // items a page at a time, each page in the same commit as a checkpoint: no write of its own.
      const writes = during.filter((r) =>
        /^(PutItem|BatchWriteItem|UpdateItem|TransactWriteItems)Command$/.test(r.operation),
      );
      expect(writes.length).toBeGreaterThan(CALLS);
      expect(writes.length).toBeLessThanOrEqual(CALLS + 2);
      expect(during.filter((r) => r.operation === 'TransactWriteItemsCommand').length).toBeGreaterThanOrEqual(
        Math.floor(history.length / 25) - 1,
      );
      // The interpreter advances its own copy: it reads back nothing it wrote.
      expect(during.filter((r) => !writes.includes(r))).toEqual([]);
    } finally {
      await sfn.close();
      await dynamo.close();
    }
  });
});

/** One task that sends its token and waits for it to be answered. */
const definition = JSON.stringify({
  StartAt: 'Wait',
  States: {
    Wait: {
      Type: 'Task',
      Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
      Parameters: { QueueUrl: 'q', MessageBody: { 'token.$': '$$.Task.Token' } },
      End: true,
    },
  },
});

describe('task tokens on the DynamoDB store', () => {
  it('keeps no record per token: a new interpreter finds the execution from the token, and a closed one is TaskTimedOut', async () => {
    const dynamo = await startEmbeddedDynamoDB({ tables: ['aios-local-executions'] });
    const tokens: string[] = [];
    const sent = createSignal();
    const interpreter = () =>
      createLocalStepFunctions({
        definitions: { m: definition },
        store: createDynamoDBExecutionStore({ client: dynamo.client }),
        resources: {
          sendMessage: async (_queue, body) => {
            tokens.push((body as { token: string }).token);
            sent.notify();
            return { MessageId: `m-${tokens.length}` };
          },
        },
      });
    const first = interpreter();
    const { executionArn } = await first.startExecution({ stateMachineName: 'm', input: {} });
    await sent.until(() => tokens.length === 1);
    await first.close();

    // As after a restart: this interpreter never issued the token and holds no copy of the execution.
    const second = interpreter();
    try {
      const token = tokens[0] as string;
      await second.sendTaskSuccess(token, '{"ok":true}');
      expect(await second.waitForExecution(executionArn, 10_000)).toMatchObject({
        status: 'SUCCEEDED',
        output: { ok: true },
      });
      // A duplicate answer finds its task closed, as the service says it.
      await expect(second.sendTaskSuccess(token, '{}')).rejects.toMatchObject({ name: 'TaskTimedOut' });
      const { Items = [] } = await dynamo.client.send(
        new ScanCommand({ TableName: 'aios-local-executions' }),
      );
      expect(Items.map((item) => item.sk?.S)).not.toContain('TOKEN');
    } finally {
      await second.close();
      await dynamo.close();
    }
  });
});

describe('a token of the old form (before tokens named their execution)', () => {
  it('is still answered after an upgrade, from the TOKEN item it was recorded with', async () => {
    const dynamo = await startEmbeddedDynamoDB({ tables: ['aios-local-executions'] });
    const store = createDynamoDBExecutionStore({ client: dynamo.client });
    const sent = createSignal();
    let messages = 0;
    const interpreter = () =>
      createLocalStepFunctions({
        definitions: { m: definition },
        store,
        resources: {
          sendMessage: async () => {
            messages += 1;
            sent.notify();
            return { MessageId: `m-${messages}` };
          },
        },
      });
    const first = interpreter();
    const { executionArn } = await first.startExecution({ stateMachineName: 'm', input: {} });
    await sent.until(() => messages === 1);
    await first.close();
    // What an older version left: the task waits on a 43-character token recorded in a TOKEN item.
    const legacy = 'L'.repeat(43);
    const meta = await store.get(executionArn);
    const task = meta?.cursor.at(-1)?.task;
    if (!meta || !task) throw new Error('the execution does not wait');
    task.token = legacy;
    await store.replace({ ...meta, version: meta.version + 1 }, meta.version);
    await dynamo.client.send(
      new PutItemCommand({
        TableName: 'aios-local-executions',
        Item: {
          pk: { S: `TOKEN#${legacy}` },
          sk: { S: 'TOKEN' },
          token: { S: legacy },
          executionArn: { S: executionArn },
          stateName: { S: 'Wait' },
        },
      }),
    );

    const second = interpreter();
    try {
      await second.sendTaskSuccess(legacy, '{"old":true}');
      expect(await second.waitForExecution(executionArn, 10_000)).toMatchObject({
        status: 'SUCCEEDED',
        output: { old: true },
      });
      await expect(second.sendTaskSuccess('M'.repeat(43), '{}')).rejects.toMatchObject({
        name: 'InvalidToken',
      });
    } finally {
      await second.close();
      await dynamo.close();
    }
  });
});
