import {
  DescribeExecutionCommand,
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

/** Causes are capped by Step Functions at 32 KiB; keep well inside. */
const MAX_CAUSE = 16_000;

export function createStepFunctionsCallbacks(client: SFNClient): OrchestratorCallbacks {
  return {
    async taskSucceeded(taskToken, output) {
      await client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
    },
    async taskFailed(taskToken, error, cause) {
      await client.send(new SendTaskFailureCommand({ taskToken, error, cause: cause.slice(0, MAX_CAUSE) }));
    },
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

/** A token that is already closed or expired: the decision was made elsewhere, not a failure. */
export function isClosedTaskToken(error: unknown): boolean {
  const name = (error as Error | undefined)?.name;
  return name === 'TaskTimedOut' || name === 'InvalidToken' || name === 'TaskDoesNotExist';
}
