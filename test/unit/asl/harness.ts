import {
  type AslClock,
  createLocalStepFunctions,
  createMemoryExecutionStore,
  type ExecutionStore,
  type HistoryEvent,
  type HistoryEventType,
  type LocalStepFunctions,
} from '../../../lib/local/asl/index.ts';
import { createSignal } from './signal.ts';

export type LambdaHandler = (payload: unknown) => unknown;

export interface Harness {
  sfn: LocalStepFunctions;
  store: ExecutionStore;
  lambdaCalls: { functionName: string; payload: unknown }[];
  messages: { queueUrl: string; body: unknown }[];
  /** Every committed history event, as onEvent reports it. */
  events: HistoryEvent[];
  /** Starts an execution of `machine` and waits for it to stop. */
  run(input?: unknown, name?: string): Promise<Awaited<ReturnType<LocalStepFunctions['describeExecution']>>>;
  history(executionArn: string): Promise<HistoryEvent[]>;
  /** Resolves with the body of the `count`th message sent, as soon as it is sent. */
  message(count?: number): Promise<unknown>;
  /** Resolves once `count` events of `type` have been committed. */
  committed(type: HistoryEventType, count?: number): Promise<void>;
}

export interface HarnessOptions {
  definition: object | string;
  lambdas?: Record<string, LambdaHandler>;
  onMessage?: (body: unknown) => void;
  timeScale?: number;
  clock?: AslClock;
  store?: ExecutionStore;
}

/** One state machine named `machine` on an in-memory store, with recording fake resources. */
export function createHarness(options: HarnessOptions): Harness {
  const store = options.store ?? createMemoryExecutionStore();
  const lambdaCalls: Harness['lambdaCalls'] = [];
  const messages: Harness['messages'] = [];
  const events: HistoryEvent[] = [];
  const changed = createSignal();
  const sfn = createLocalStepFunctions({
    definitions: {
      machine:
        typeof options.definition === 'string' ? options.definition : JSON.stringify(options.definition),
    },
    store,
    timeScale: options.timeScale ?? 0.001,
    ...(options.clock && { clock: options.clock }),
    logError: () => undefined,
    onEvent: (_arn, event) => {
      events.push(event);
      changed.notify();
    },
    resources: {
      async invokeLambda(functionName, payload) {
        lambdaCalls.push({ functionName, payload });
        const handler = options.lambdas?.[functionName];
        if (!handler) throw new Error(`no fake for ${functionName}`);
        return handler(payload);
      },
      async sendMessage(queueUrl, body) {
        messages.push({ queueUrl, body });
        changed.notify();
        // A real queue hands the message to a worker later, never inside the send.
        if (options.onMessage) setImmediate(() => options.onMessage?.(body));
        return { MessageId: `m-${messages.length}` };
      },
    },
  });
  return {
    sfn,
    store,
    lambdaCalls,
    messages,
    events,
    async run(input = {}, name) {
      const { executionArn } = await sfn.startExecution({ stateMachineName: 'machine', input, name });
      return sfn.waitForExecution(executionArn, 10_000);
    },
    history: (executionArn) => sfn.getExecutionHistory(executionArn),
    async message(count = 1) {
      await changed.until(() => messages.length >= count);
      return messages[count - 1]?.body;
    },
    committed: (type, count = 1) =>
      changed.until(() => events.filter((event) => event.type === type).length >= count),
  };
}

export const lambdaTask = (functionName: string, extra: object = {}) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke',
  Parameters: { FunctionName: functionName, 'Payload.$': '$' },
  ...extra,
});

export const types = (events: HistoryEvent[]) => events.map((event) => event.type);

/** The history of an execution of one token task, answered with success. */
export const ANSWERED_TOKEN_TASK: readonly HistoryEventType[] = [
  'ExecutionStarted',
  'TaskStateEntered',
  'TaskScheduled',
  'TaskStarted',
  'TaskSubmitted',
  'TaskSucceeded',
  'TaskStateExited',
  'ExecutionSucceeded',
];

export const timestampOf = (events: HistoryEvent[], type: HistoryEventType, nth = 0): number =>
  Date.parse(events.filter((event) => event.type === type)[nth]?.timestamp ?? '');
