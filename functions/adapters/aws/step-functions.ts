import {
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { Orchestrator, OrchestratorCallbacks } from '../../core/ports.ts';

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
  return {
    async startRun(runId) {
      // The run id is the execution name, so a repeated start is rejected rather than doubled.
      await client.send(
        new StartExecutionCommand({ stateMachineArn, name: runId, input: JSON.stringify({ runId }) }),
      );
    },
  };
}

/** A token that is already closed or expired: the decision was made elsewhere, not a failure. */
export function isClosedTaskToken(error: unknown): boolean {
  const name = (error as Error | undefined)?.name;
  return name === 'TaskTimedOut' || name === 'InvalidToken' || name === 'TaskDoesNotExist';
}
