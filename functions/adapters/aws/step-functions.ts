import {
  DescribeExecutionCommand,
  type HistoryEvent,
  paginateGetExecutionHistory,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type {
  ExecutionEvent,
  ExecutionState,
  Orchestrator,
  OrchestratorCallbacks,
} from '../../core/ports.ts';
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
  // arn:aws:states:<region>:<account>:stateMachine:<name> → ...:execution:<name>:<runId>
  const executionArnFor = (runId: string) =>
    `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${runId}`;
  return {
    async startRun(runId) {
      // The run id is the execution name, so a repeated start (a recovery sweep after a crash
      // between the run record and this call) finds the execution instead of doubling it.
      try {
        await client.send(
          new StartExecutionCommand({ stateMachineArn, name: runId, input: JSON.stringify({ runId }) }),
        );
      } catch (error) {
        if ((error as Error).name !== 'ExecutionAlreadyExists') throw error;
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
