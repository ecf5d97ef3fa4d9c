import { z } from 'zod';
import { createExecutor, type ExecutorDeps, type RecordedIntent } from '../core/executor.ts';
import { PlanStepSchema } from '../core/schemas.ts';
import { agentHandler } from '../shared/agent-middleware.ts';

export const ExecutorEventSchema = z.object({
  runId: z.string().min(1),
  stepIndex: z.number().int().nonnegative(),
  step: PlanStepSchema,
});

export function createExecutorHandler(deps: ExecutorDeps) {
  const executor = createExecutor(deps);
  return agentHandler(
    ExecutorEventSchema,
    (event): Promise<RecordedIntent> => executor.recordIntent(event.runId, event.stepIndex, event.step),
  );
}
