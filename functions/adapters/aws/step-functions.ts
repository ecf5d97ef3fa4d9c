import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  paginateGetExecutionHistory,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  type SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import type {
  ExecutionEvent,
  ExecutionState,
  Orchestrator,
  OrchestratorCallbacks,
} from '../../core/ports.ts';
import type { TaskWaits, WaitingTask } from '../../core/stranded-actions.ts';
import { answerTask } from '../task-answers.ts';

/** Causes are capped by Step Functions at 32 KiB; keep well inside. */
const MAX_CAUSE = 16_000;

export function createStepFunctionsCallbacks(client: SFNClient): OrchestratorCallbacks {
  return {
    taskSucceeded: (taskToken, output) =>
      answerTask(() =>
        client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) })),
      ),
    taskFailed: (taskToken, error, cause) =>
      answerTask(() =>
        client.send(new SendTaskFailureCommand({ taskToken, error, cause: cause.slice(0, MAX_CAUSE) })),
      ),
  };
}

export function createStepFunctionsOrchestrator(client: SFNClient, stateMachineArn: string): Orchestrator {
  // arn:aws:states:<region>:<account>:stateMachine:<name> → ...:execution:<name>:<executionName>
  const executionArnFor = (executionName: string) =>
    `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName}`;
  return {
    async startRun(runId, executionName = runId) {
      // The execution is named after the run, so a repeated start (a recovery sweep after a crash
      // between the run record and this call) finds the execution instead of doubling it.
      try {
        await client.send(
          new StartExecutionCommand({
            stateMachineArn,
            name: executionName,
            input: JSON.stringify({ runId }),
          }),
        );
      } catch (error) {
        if ((error as Error).name !== 'ExecutionAlreadyExists') throw error;
      }
    },
    async stopRun(executionName, reason) {
      try {
        await client.send(
          new StopExecutionCommand({
            executionArn: executionArnFor(executionName),
            error: reason.error,
            cause: reason.cause.slice(0, MAX_CAUSE),
          }),
        );
      } catch (error) {
        // Never started (a cancel of a run still QUEUED): there is nothing to stop.
        if ((error as Error).name !== 'ExecutionDoesNotExist') throw error;
      }
    },
    async execution(runId) {
      try {
        const described = await client.send(
          new DescribeExecutionCommand({ executionArn: executionArnFor(runId) }),
        );
        if (!described.status) return undefined;
        return {
          status: described.status as ExecutionState['status'],
          ...(described.error ? { error: described.error } : {}),
          ...(described.cause ? { cause: described.cause } : {}),
        };
      } catch (error) {
        if ((error as Error).name === 'ExecutionDoesNotExist') return undefined;
        throw error;
      }
    },
    async history(runId) {
      const events: ExecutionEvent[] = [];
      try {
        const pages = paginateGetExecutionHistory(
          { client },
          { executionArn: executionArnFor(runId), includeExecutionData: false, maxResults: 1000 },
        );
        for await (const page of pages) events.push(...(page.events ?? []).map(toExecutionEvent));
      } catch (error) {
        if ((error as Error).name === 'ExecutionDoesNotExist') return [];
        throw error;
      }
      return events;
    },
  };
}

/** Events that end a task's wait; anything else after its TaskScheduled leaves it waiting. */
const TASK_ENDED = new Set([
  'TaskSucceeded',
  'TaskFailed',
  'TaskTimedOut',
  'TaskSubmitFailed',
  'TaskStartFailed',
  'TaskStateExited',
  'TaskStateAborted',
]);
/** Newest first, this many events reach back past a waiting task's TaskScheduled (Started, Submitted follow it). */
const WAIT_LOOKBACK = 10;

/**
 * Which task a run's execution waits on for its token: the service keeps no "current token",
 * but the last TaskScheduled event holds the parameters it resolved, `$$.Task.Token` included.
 * Read newest first, so a long history costs one page.
 */
export function createStepFunctionsTaskWaits(client: SFNClient, stateMachineArn: string): TaskWaits {
  const executionArnFor = (runId: string) =>
    `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${runId}`;
  return {
    async waitingTask(runId) {
      let events: HistoryEvent[];
      try {
        const page = await client.send(
          new GetExecutionHistoryCommand({
            executionArn: executionArnFor(runId),
            reverseOrder: true,
            includeExecutionData: true,
            maxResults: WAIT_LOOKBACK,
          }),
        );
        events = page.events ?? [];
      } catch (error) {
        if ((error as Error).name === 'ExecutionDoesNotExist') return undefined;
        throw error;
      }
      return waitingTaskOf(events);
    },
  };
}

/** The task the newest-first `events` show waiting for its token, if any. */
export function waitingTaskOf(
  newestFirst: readonly Partial<
    Pick<HistoryEvent, 'id' | 'type' | 'taskScheduledEventDetails' | 'stateEnteredEventDetails'>
  >[],
): WaitingTask | undefined {
  for (const event of newestFirst) {
    if (event.type && TASK_ENDED.has(event.type)) return undefined;
    if (event.type !== 'TaskScheduled') continue;
    const parameters = parseJson(event.taskScheduledEventDetails?.parameters);
    const token = findToken(parameters);
    // The state's name is on its TaskStateEntered, the newest one before this event.
    const entered = newestFirst.find((e) => e.type === 'TaskStateEntered' && (e.id ?? 0) < (event.id ?? 0));
    const stateName = entered?.stateEnteredEventDetails?.name;
    if (!token) return undefined;
    return { stateName: stateName ?? '', token, parameters };
  }
  return undefined;
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The task token of an SQS waitForTaskToken task: the message body's `taskToken`. */
function findToken(parameters: unknown): string | undefined {
  const body = (parameters as { MessageBody?: unknown } | undefined)?.MessageBody;
  const message = typeof body === 'string' ? parseJson(body) : body;
  const token = (message as { taskToken?: unknown } | undefined)?.taskToken;
  return typeof token === 'string' && token.length > 0 ? token : undefined;
}

/** Step Functions puts the state name and the error in a details object named after the event type. */
export function toExecutionEvent(event: HistoryEvent): ExecutionEvent {
  const details = Object.entries(event)
    .filter(([key, value]) => key.endsWith('EventDetails') && value && typeof value === 'object')
    .map(([, value]) => value as { name?: string; error?: string; cause?: string });
  const pick = (field: 'name' | 'error' | 'cause') =>
    details.find((d) => typeof d[field] === 'string')?.[field];
  return {
    id: event.id ?? 0,
    timestamp: (event.timestamp ?? new Date(0)).toISOString(),
    type: event.type ?? 'Unknown',
    ...(pick('name') ? { stateName: pick('name') } : {}),
    ...(pick('error') ? { error: pick('error') } : {}),
    ...(pick('cause') ? { cause: pick('cause') } : {}),
  };
}
