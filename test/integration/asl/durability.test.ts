import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDynamoDBExecutionStore, type HistoryEvent } from '../../../lib/local/asl/index.ts';
import { startEmbeddedDynamoDB } from '../../../lib/local/embedded-dynamodb.ts';
import { createSignal } from '../../unit/asl/signal.ts';
import {
  countSideEffects,
  EXACTLY_ONCE_EACH,
  readSideEffects,
  startRunMachineHost,
} from './run-machine-host.ts';

let dir: string;
let logFile: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'aios-asl-'));
  logFile = join(dir, 'side-effects.jsonl');
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('durability on the DynamoDB store', () => {
  it('resumes mid-Map and mid-waitForTaskToken in a new interpreter on the reopened store', async () => {
    const events: HistoryEvent[] = [];
    const recorded = createSignal();
    const first = await startRunMachineHost({
      dir: join(dir, 'db'),
      logFile,
      holdSteps: [1],
      onEvent: (e) => {
        events.push(e);
        recorded.notify();
      },
    });
    const { executionArn } = await first.sfn.startExecution({
      stateMachineName: 'run',
      name: 'resume-me',
      input: { runId: 'resume-me' },
    });
    // Step 1's action is held, so the execution waits there.
    await recorded.until(() => events.filter((event) => event.type === 'TaskSubmitted').length === 2);
    expect(events.filter((event) => event.type === 'MapIterationSucceeded')).toHaveLength(1);
    await first.close();

    const second = await startRunMachineHost({ dir: join(dir, 'db'), logFile });
    expect(await second.sfn.describeExecution(executionArn)).toMatchObject({ status: 'RUNNING' });
    expect(await second.sfn.resumeAll()).toEqual([executionArn]);
    const held = readSideEffects(logFile).find(
      (effect) => effect.kind === 'message' && effect.body.stepIndex === 1,
    );
    if (held?.kind !== 'message') throw new Error('the held message was not sent');
    await second.sfn.sendTaskSuccess(held.body.taskToken, JSON.stringify({ done: 1 }));
    const done = await second.sfn.waitForExecution(executionArn, 20_000);
    const history = await second.sfn.getExecutionHistory(executionArn);
    await second.close();

    expect(done.status).toBe('SUCCEEDED');
    expect(countSideEffects(readSideEffects(logFile))).toEqual(EXACTLY_ONCE_EACH);
    expect(history.map((event) => event.id)).toEqual(history.map((_, i) => i + 1));
    expect(history.filter((event) => event.type === 'MapIterationSucceeded')).toHaveLength(3);
  });

  it('re-invokes a lambda task whose success was not recorded (at least once)', async () => {
    const dynamo = await startEmbeddedDynamoDB({ tables: ['aios-local-executions'] });
    const store = createDynamoDBExecutionStore({ client: dynamo.client });
    const { createLocalStepFunctions } = await import('../../../lib/local/asl/index.ts');
    const definition = JSON.stringify({
      StartAt: 'Call',
      States: {
        Call: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: 'f', Payload: {} },
          End: true,
        },
      },
    });
    let calls = 0;
    const called = createSignal();
    let release: () => void = () => undefined;
    const hang = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = createLocalStepFunctions({
      definitions: { m: definition },
      store,
      logError: () => undefined,
      resources: {
        invokeLambda: async () => {
          calls++;
          called.notify();
          await hang;
          return 'late';
        },
      },
    });
    const { executionArn } = await first.startExecution({ stateMachineName: 'm' });
    await called.until(() => calls === 1);
    const second = createLocalStepFunctions({
      definitions: { m: definition },
      store,
      resources: {
        invokeLambda: async () => {
          calls++;
          return 'again';
        },
      },
    });
    await second.resumeAll();
    const done = await second.waitForExecution(executionArn, 10_000);
    release();
    await first.close();
    await second.close();
    // The first interpreter's late answer must not overwrite what the second one recorded.
    const history = await second.getExecutionHistory(executionArn);
    await dynamo.close();
    expect(calls).toBe(2);
    expect(done.output).toMatchObject({ Payload: 'again' });
    expect(history.filter((event) => event.type === 'ExecutionSucceeded')).toHaveLength(1);
  });

  it('refuses a checkpoint that expects an old version', async () => {
    const dynamo = await startEmbeddedDynamoDB({ tables: ['aios-local-executions'] });
    const store = createDynamoDBExecutionStore({ client: dynamo.client });
    const meta = {
      executionArn: 'arn:x',
      stateMachineName: 'm',
      name: 'x',
      status: 'RUNNING' as const,
      input: {},
      startDate: new Date().toISOString(),
      version: 1,
      lastEventId: 0,
      cursor: [],
      pendingEvents: [],
    };
    expect(await store.create(meta)).toBe(true);
    expect(await store.create(meta)).toBe(false);
    await store.replace({ ...meta, version: 2 }, 1);
    await expect(store.replace({ ...meta, version: 2 }, 1)).rejects.toMatchObject({ name: 'StaleExecution' });
    await dynamo.close();
  });
});
