import { describe, expect, it } from 'vitest';
import {
  createLocalStepFunctions,
  createMemoryExecutionStore,
  type HistoryEvent,
  type LocalStepFunctions,
} from '../../../lib/local/asl/index.ts';
import { RUN_DEFINITION, RUN_SUBSTITUTIONS, runLambdas } from './run-machine-fixture.ts';

function runMachine(steps: { action: string; deny?: boolean }[]) {
  const lambdas: Record<string, (payload: unknown) => unknown> = runLambdas(steps);
  const calls: string[] = [];
  let sfn: LocalStepFunctions | undefined;
  sfn = createLocalStepFunctions({
    definitions: { run: RUN_DEFINITION },
    substitutions: RUN_SUBSTITUTIONS,
    store: createMemoryExecutionStore(),
    timeScale: 0.001,
    resources: {
      async invokeLambda(functionName, payload) {
        calls.push(functionName);
        return lambdas[functionName]?.(payload);
      },
      async sendMessage(_queueUrl, body) {
        const { taskToken, idempotencyKey } = body as { taskToken: string; idempotencyKey: string };
        // The gateway worker answers later, as the real queue consumer would.
        setImmediate(
          () => void sfn?.sendTaskSuccess(taskToken, JSON.stringify({ executed: idempotencyKey })),
        );
        return { MessageId: idempotencyKey };
      },
    },
  });
  return { sfn, calls };
}

const entered = (events: HistoryEvent[]) =>
  events.filter((event) => event.type.endsWith('StateEntered')).map((event) => event.details.stateName);

describe('statemachines/run.asl.json', () => {
  it('HappyPath: records, plans, runs each step through the gateway and summarises', async () => {
    const { sfn, calls } = runMachine([{ action: 'email.send' }, { action: 'crm.update' }]);
    const { executionArn } = await sfn.startExecution({
      stateMachineName: 'run',
      name: 'r1',
      input: { runId: 'r1' },
    });
    const done = await sfn.waitForExecution(executionArn, 10_000);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.output).toMatchObject({
      runId: 'r1',
      started: { status: 'start' },
      outcomes: [
        { stepId: 'step-0', ok: true, note: 'checked' },
        { stepId: 'step-1', ok: true, note: 'checked' },
      ],
      finished: { status: 'finish' },
    });
    expect(calls).toEqual([
      'run-recorder',
      'planner',
      'executor',
      'monitor',
      'executor',
      'monitor',
      'run-recorder',
    ]);
    const events = await sfn.getExecutionHistory(executionArn);
    expect(entered(events)).toEqual([
      'Record run start',
      'Plan steps',
      'Run each step',
      'Record intent',
      'Check policy',
      'Execute action',
      'Check outcome',
      'Record intent',
      'Check policy',
      'Execute action',
      'Check outcome',
      'Summarise run',
      'Run succeeded',
    ]);
    expect(events.map((event) => event.id)).toEqual(events.map((_, i) => i + 1));
    expect(events.every((event) => event.previousEventId === event.id - 1)).toBe(true);
  });

  it('StepDenied: the policy denial fails the Map, which records the failure and fails the run', async () => {
    const { sfn, calls } = runMachine([{ action: 'email.send' }, { action: 'bank.transfer', deny: true }]);
    const { executionArn } = await sfn.startExecution({ stateMachineName: 'run', input: { runId: 'r2' } });
    const done = await sfn.waitForExecution(executionArn, 10_000);
    expect(done).toMatchObject({ status: 'FAILED', error: 'RunFailed' });
    // After recording the failure the run asks the executor what to compensate (nothing, here).
    expect(calls.slice(-2)).toEqual(['run-recorder', 'executor']);
    const events = await sfn.getExecutionHistory(executionArn);
    expect(events.find((event) => event.type === 'MapIterationFailed')?.details).toMatchObject({
      index: 1,
      error: 'PolicyDeniedError',
      cause: 'policy forbids bank.transfer',
    });
    expect(entered(events).slice(-4)).toEqual([
      'Record failure',
      'Plan compensation',
      'Compensate each',
      'Run failed',
    ]);
  });
});
