import type { LocalStepFunctions } from '../../../lib/local/asl/index.ts';
import type { Orchestrator, OrchestratorCallbacks } from '../../core/ports.ts';
import { answerTask } from '../task-answers.ts';

type Interpreter = Pick<
  LocalStepFunctions,
  | 'startExecution'
  | 'stopExecution'
  | 'describeExecution'
  | 'getExecutionHistory'
  | 'sendTaskSuccess'
  | 'sendTaskFailure'
>;

/** The run machine on the local interpreter, as `createStepFunctionsOrchestrator` is on AWS. */
export function createLocalOrchestrator(
  sfn: Interpreter,
  executionArnFor: (runId: string) => string,
): Orchestrator {
  return {
    async startRun(runId, executionName = runId) {
      // A second start with the same input returns the execution; a recovery pass may start twice.
      try {
        await sfn.startExecution({ stateMachineName: 'run', name: executionName, input: { runId } });
      } catch (error) {
        if ((error as Error).name !== 'ExecutionAlreadyExists') throw error;
      }
    },
    async stopRun(executionName, reason) {
      try {
        await sfn.stopExecution(executionArnFor(executionName), reason);
      } catch (error) {
        if ((error as Error).name !== 'ExecutionDoesNotExist') throw error;
      }
    },
    async execution(runId) {
      try {
        const { status, error, cause } = await sfn.describeExecution(executionArnFor(runId));
        return { status, ...(error ? { error } : {}), ...(cause ? { cause } : {}) };
      } catch (error) {
        if ((error as Error).name === 'ExecutionDoesNotExist') return undefined;
        throw error;
      }
    },
    async history(runId) {
      try {
        const events = await sfn.getExecutionHistory(executionArnFor(runId));
        return events.map((event) => ({
          id: event.id,
          timestamp: event.timestamp,
          type: event.type,
          ...(event.details.stateName ? { stateName: event.details.stateName } : {}),
          ...(event.details.error ? { error: event.details.error } : {}),
          ...(event.details.cause ? { cause: event.details.cause } : {}),
        }));
      } catch (error) {
        if ((error as Error).name === 'ExecutionDoesNotExist') return [];
        throw error;
      }
    },
  };
}

/** Answers paused tasks on the local interpreter, as `createStepFunctionsCallbacks` does on AWS. */
export function createLocalCallbacks(sfn: Interpreter): OrchestratorCallbacks {
  return {
    taskSucceeded: (token, output) => answerTask(() => sfn.sendTaskSuccess(token, JSON.stringify(output))),
    taskFailed: (token, error, cause) => answerTask(() => sfn.sendTaskFailure(token, error, cause)),
  };
}
