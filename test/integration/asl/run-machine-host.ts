import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import {
  createDynamoDBExecutionStore,
  createLocalStepFunctions,
  type HistoryEvent,
  type LocalStepFunctions,
} from '../../../lib/local/asl/index.ts';
import { startEmbeddedDynamoDB } from '../../../lib/local/embedded-dynamodb.ts';
import { ManualClock } from '../../unit/asl/manual-clock.ts';
import { RUN_DEFINITION, RUN_SUBSTITUTIONS, runLambdas } from '../../unit/asl/run-machine-fixture.ts';

export const STEPS = [{ action: 'email.send' }, { action: 'crm.update' }, { action: 'invoice.create' }];

/** One side effect, appended as a JSON line so it survives a SIGKILL of the process that made it. */
export type SideEffect =
  | { kind: 'lambda'; functionName: string; payload: { op?: string; stepIndex?: number } }
  | { kind: 'message'; body: { taskToken: string; stepIndex: number } };

export function readSideEffects(logFile: string): SideEffect[] {
  if (!existsSync(logFile)) return [];
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as SideEffect);
}

export interface RunMachineHost {
  sfn: LocalStepFunctions;
  close(): Promise<void>;
}

/**
 * run.asl.json on an embedded DynamoDB kept in `dir`, logging every side effect to `logFile`.
 * The gateway answers each action message at once, except for steps listed in `holdSteps`.
 */
export async function startRunMachineHost(options: {
  dir: string;
  logFile: string;
  holdSteps?: number[];
  onEvent?: (event: HistoryEvent) => void;
  /** Called after each side effect is logged, with how many this process has made. */
  afterSideEffect?: (count: number) => void;
}): Promise<RunMachineHost> {
  const dynamo = await startEmbeddedDynamoDB({ dir: options.dir, tables: ['aios-local-executions'] });
  const lambdas: Record<string, (payload: unknown) => unknown> = runLambdas(STEPS);
  let count = 0;
  const log = (effect: SideEffect) => {
    appendFileSync(options.logFile, `${JSON.stringify(effect)}\n`);
    options.afterSideEffect?.(++count);
  };
  let sfn: LocalStepFunctions | undefined;
  sfn = createLocalStepFunctions({
    definitions: { run: RUN_DEFINITION },
    substitutions: RUN_SUBSTITUTIONS,
    store: createDynamoDBExecutionStore({ client: dynamo.client }),
    // Time stands still: these runs need no Wait or retry, and no task timeout may pass while a
    // process is killed and another starts, however long a loaded machine takes to do it.
    clock: new ManualClock(),
    onEvent: (_arn, event) => options.onEvent?.(event),
    resources: {
      async invokeLambda(functionName, payload) {
        log({ kind: 'lambda', functionName, payload: payload as { op?: string; stepIndex?: number } });
        return lambdas[functionName]?.(payload);
      },
      async sendMessage(_queueUrl, body) {
        const message = body as { taskToken: string; stepIndex: number };
        log({ kind: 'message', body: message });
        if (!options.holdSteps?.includes(message.stepIndex)) {
          setImmediate(() => {
            // A duplicate delivery finds the task already answered: the service says TaskTimedOut.
            sfn
              ?.sendTaskSuccess(message.taskToken, JSON.stringify({ done: message.stepIndex }))
              .catch(ignoreTimedOut);
          });
        }
        return { MessageId: `m-${message.stepIndex}` };
      },
    },
  });
  const running = sfn;
  return {
    sfn: running,
    async close() {
      await running.close();
      await dynamo.close();
    },
  };
}

function ignoreTimedOut(error: Error): void {
  if (error.name !== 'TaskTimedOut') throw error;
}

/** How many times each side effect happened, e.g. `executor#1` or `message#2`. */
export function countSideEffects(effects: readonly SideEffect[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const effect of effects) {
    const key =
      effect.kind === 'message'
        ? `message#${effect.body.stepIndex}`
        : `${effect.functionName}${effect.payload.op ? `:${effect.payload.op}` : ''}${effect.payload.stepIndex !== undefined ? `#${effect.payload.stepIndex}` : ''}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

export const EXACTLY_ONCE_EACH = {
  'run-recorder:start': 1,
  planner: 1,
  'executor#0': 1,
  'executor#1': 1,
  'executor#2': 1,
  'message#0': 1,
  'message#1': 1,
  'message#2': 1,
  'monitor#0': 1,
  'monitor#1': 1,
  'monitor#2': 1,
  'run-recorder:finish': 1,
};
