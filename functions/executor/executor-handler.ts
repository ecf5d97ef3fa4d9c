import * as z from 'zod';
import {
  type CompensationStep,
  createExecutor,
  type ExecutorDeps,
  type RecordedIntent,
} from '../core/executor.ts';
import { PlanStepSchema } from '../core/schemas.ts';
import { agentHandler } from '../shared/agent-middleware.ts';

export const ExecutorEventSchema = z.union([
  z.object({
    runId: z.string().min(1),
    stepIndex: z.number().int().nonnegative(),
    step: PlanStepSchema,
  }),
  z.object({ op: z.literal('plan-compensation'), runId: z.string().min(1) }),
  z.object({
    op: z.literal('approved'),
    runId: z.string().min(1),
    stepIndex: z.number().int().nonnegative(),
    params: z.record(z.string(), z.unknown()).optional(),
  }),
]);

export function createExecutorHandler(deps: ExecutorDeps) {
  const executor = createExecutor(deps);
  return agentHandler(
    ExecutorEventSchema,
    async (event): Promise<RecordedIntent | { steps: CompensationStep[] }> =>
      !('op' in event)
        ? executor.recordIntent(event.runId, event.stepIndex, event.step)
        : event.op === 'approved'
          ? executor.authorizeApproved(event.runId, event.stepIndex, event.params)
          : { steps: await executor.planCompensation(event.runId) },
  );
}
