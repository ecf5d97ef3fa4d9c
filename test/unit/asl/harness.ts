import {
  createLocalStepFunctions,
  createMemoryExecutionStore,
  type ExecutionStore,
  type HistoryEvent,
  type LocalStepFunctions,
} from '../../../lib/local/asl/index.ts';

export type LambdaHandler = (payload: unknown) => unknown;

export interface Harness {
  sfn: LocalStepFunctions;
  store: ExecutionStore;
  lambdaCalls: { functionName: string; payload: unknown }[];
  messages: { queueUrl: string; body: unknown }[];
  /** Starts an execution of `machine` and waits for it to stop. */
  run(input?: unknown, name?: string): Promise<Awaited<ReturnType<LocalStepFunctions['describeExecution']>>>;
  history(executionArn: string): Promise<HistoryEvent[]>;
}

export interface HarnessOptions {
  definition: object | string;
  lambdas?: Record<string, LambdaHandler>;
  onMessage?: (body: unknown) => void;
  timeScale?: number;
  store?: ExecutionStore;
}

/** One state machine named `machine` on an in-memory store, with recording fake resources. */
export function createHarness(options: HarnessOptions): Harness {
  const store = options.store ?? createMemoryExecutionStore();
  const lambdaCalls: Harness['lambdaCalls'] = [];
  const messages: Harness['messages'] = [];
  const sfn = createLocalStepFunctions({
    definitions: {
      machine:
        typeof options.definition === 'string' ? options.definition : JSON.stringify(options.definition),
    },
    store,
    timeScale: options.timeScale ?? 0.001,
    logError: () => undefined,
    resources: {
      async invokeLambda(functionName, payload) {
        lambdaCalls.push({ functionName, payload });
        const handler = options.lambdas?.[functionName];
        if (!handler) throw new Error(`no fake for ${functionName}`);
        return handler(payload);
      },
      async sendMessage(queueUrl, body) {
        messages.push({ queueUrl, body });
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
    async run(input = {}, name) {
      const { executionArn } = await sfn.startExecution({ stateMachineName: 'machine', input, name });
      return sfn.waitForExecution(executionArn, 10_000);
    },
    history: (executionArn) => sfn.getExecutionHistory(executionArn),
  };
}

export const lambdaTask = (functionName: string, extra: object = {}) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke',
  Parameters: { FunctionName: functionName, 'Payload.$': '$' },
  ...extra,
});

export const types = (events: HistoryEvent[]) => events.map((event) => event.type);
