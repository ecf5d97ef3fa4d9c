import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** statemachines/run.asl.json with its substitutions and deterministic fake handlers. */
export const RUN_DEFINITION = readFileSync(
  fileURLToPath(new URL('../../../statemachines/run.asl.json', import.meta.url)),
  'utf8',
);

export const RUN_SUBSTITUTIONS = {
  RunRecorderFunctionArn: 'run-recorder',
  PlannerFunctionArn: 'planner',
  ExecutorFunctionArn: 'executor',
  ApprovalFunctionArn: 'approvals',
  MonitorFunctionArn: 'monitor',
  ActionQueueUrl: 'http://local/queue/actions',
};

export interface RunPayload {
  runId: string;
  op?: string;
  stepIndex?: number;
  step?: { action: { type: string }; deny?: boolean };
}

/** The handlers of run.asl.json; `steps` is what the planner returns. */
export function runLambdas(steps: { action: string; deny?: boolean }[]) {
  return {
    'run-recorder': (p: unknown) => ({ status: (p as RunPayload).op }),
    // Planned steps carry their action as an object, as the planner's do.
    planner: () => ({ steps: steps.map(({ action, deny }) => ({ action: { type: action }, deny })) }),
    executor: (p: unknown) => {
      const { runId, stepIndex, step, op } = p as RunPayload;
      // After a failure the run asks for compensations; these fakes have none to undo.
      if (op === 'plan-compensation') return { steps: [] };
      return {
        idempotencyKey: `${runId}:${stepIndex}`,
        decision: step?.deny ? 'deny' : 'allow',
        reason: step?.deny ? `policy forbids ${step.action.type}` : 'ok',
        action: step?.action.type,
        grant: step?.deny ? '' : `grant-${runId}-${stepIndex}`,
      };
    },
    monitor: (p: unknown) => {
      const { stepIndex } = p as RunPayload;
      return { stepId: `step-${stepIndex}`, ok: true, note: 'checked' };
    },
  } satisfies Record<string, (payload: unknown) => unknown>;
}
