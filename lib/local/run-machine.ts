import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { logger } from '../../functions/shared/powertools.ts';
import {
  createDynamoDBExecutionStore,
  createLocalStepFunctions,
  type HistoryEvent,
  type Json,
} from './asl/index.ts';
import { LAMBDA_INVOKE } from './asl/task-resources.ts';
import { createLocalContext } from './http/lambda-context.ts';
import type { LocalQueue } from './queue/index.ts';
import { ACCOUNT, ACTION_QUEUE, LOCAL_SUBSTITUTIONS } from './runtime-options.ts';
import { TABLE_NAMES } from './table-definitions.ts';

const RUN_DEFINITION = fileURLToPath(new URL('../../statemachines/run.asl.json', import.meta.url));
const ENDED_STATUS: Partial<Record<string, 'FAILED' | 'ABORTED'>> = {
  ExecutionFailed: 'FAILED',
  ExecutionAborted: 'ABORTED',
};
/** Which substitution names each function the run machine invokes. */
const FUNCTION_ARNS = {
  planner: 'PlannerFunctionArn',
  executor: 'ExecutorFunctionArn',
  monitor: 'MonitorFunctionArn',
  runRecorder: 'RunRecorderFunctionArn',
  approvals: 'ApprovalFunctionArn',
} as const;

/**
 * The calls that may run again after a crash and answer the same, so the interpreter need not
 * commit their result before the next call: the executor recording a step's intent (it finds the
 * intent it wrote and returns its decision) and the monitor's check of an outcome (a read and a
 * journal line). A crash between them and the next checkpoint repeats them, nothing else.
 */
export function isReplaySafeCall(resource: string, parameters: Json): boolean {
  if (resource !== LAMBDA_INVOKE || typeof parameters !== 'object' || parameters === null) return false;
  const { FunctionName: name, Payload: payload } = parameters as Record<string, Json>;
  if (name === LOCAL_SUBSTITUTIONS[FUNCTION_ARNS.monitor]) return true;
  return (
    name === LOCAL_SUBSTITUTIONS[FUNCTION_ARNS.executor] &&
    typeof payload === 'object' &&
    payload !== null &&
    !Array.isArray(payload) &&
    !('op' in payload)
  );
}

type LambdaHandler = (event: never, context: ReturnType<typeof createLocalContext>) => Promise<unknown>;

export const executionArnFor = (runId: string) => `arn:aws:states:local:${ACCOUNT}:execution:run:${runId}`;

/**
 * The run machine on the interpreter, as the CDK stack deploys it: the same ASL file, its Task
 * states' Lambda functions by ARN, the action queue, and the EventBridge rule that records an
 * execution that ended without its run hearing of it.
 */
export function startRunMachine(options: {
  client: DynamoDBClient;
  queue: Pick<LocalQueue, 'send'>;
  timeScale?: number;
  onExecutionEvent?: (executionArn: string, event: HistoryEvent) => void;
}) {
  const functions: Record<string, (payload: unknown) => Promise<unknown>> = {};
  const endRecordings = new Set<Promise<unknown>>();
  const recordEnd = (executionArn: string, event: HistoryEvent) => {
    const status = ENDED_STATUS[event.type];
    const recorder = functions[LOCAL_SUBSTITUTIONS.RunRecorderFunctionArn];
    if (!status || !recorder) return;
    const runId = executionArn.slice(executionArn.lastIndexOf(':') + 1);
    const { error, cause } = event.details;
    // Tracked, so close() lets it finish: it may be the one that tells the operator.
    const recording = recorder({ op: 'execution-ended', runId, status, error, cause })
      .catch((error: unknown) =>
        logger.error('could not record the end of an execution', { runId, error: error as Error }),
      )
      .finally(() => endRecordings.delete(recording));
    endRecordings.add(recording);
  };
  const stepFunctions = createLocalStepFunctions({
    definitions: { run: readFileSync(RUN_DEFINITION, 'utf8') },
    substitutions: LOCAL_SUBSTITUTIONS,
    store: createDynamoDBExecutionStore({ client: options.client, tableName: TABLE_NAMES.executions }),
    timeScale: options.timeScale ?? 1,
    replaySafe: isReplaySafeCall,
    onEvent: (executionArn, event) => {
      options.onExecutionEvent?.(executionArn, event);
      // What EventBridge's execution status change rule does on AWS: no run is left looking alive.
      recordEnd(executionArn, event);
    },
    resources: {
      async invokeLambda(functionName, payload) {
        const invoke = functions[functionName];
        if (!invoke)
          throw Object.assign(new Error(`no local function ${functionName}`), {
            name: 'Lambda.ResourceNotFoundException',
          });
        return invoke(payload);
      },
      async sendMessage(queueUrl, body) {
        if (queueUrl !== LOCAL_SUBSTITUTIONS.ActionQueueUrl) throw new Error(`no local queue at ${queueUrl}`);
        const text = typeof body === 'string' ? body : JSON.stringify(body);
        return { MessageId: await options.queue.send(ACTION_QUEUE, text) };
      },
    },
  });
  return {
    stepFunctions,
    /** Puts each function at its ARN, as the stack's substitutions name them. */
    deploy(handlers: Record<keyof typeof FUNCTION_ARNS, LambdaHandler>) {
      for (const [name, handler] of Object.entries(handlers)) {
        const arn = LOCAL_SUBSTITUTIONS[FUNCTION_ARNS[name as keyof typeof FUNCTION_ARNS]];
        functions[arn] = (payload) => handler(payload as never, createLocalContext(arn, 60_000));
      }
    },
    async close() {
      await stepFunctions.close();
      await Promise.allSettled([...endRecordings]);
    },
  };
}
