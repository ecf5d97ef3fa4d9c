import { z } from 'zod';
import { createPlanner, type PlannerDeps } from '../core/planner.ts';
import type { PlanStep } from '../core/schemas.ts';
import { agentHandler } from '../shared/agent-middleware.ts';
import { metrics } from '../shared/powertools.ts';

export const PlannerEventSchema = z.object({ runId: z.string().min(1) });

export function createPlannerHandler(deps: PlannerDeps) {
  const planner = createPlanner(deps);
  return agentHandler(PlannerEventSchema, async (event): Promise<{ steps: PlanStep[] }> => {
    const plan = await planner.plan(event.runId);
    metrics.addMetric('PlannedSteps', 'Count', plan.steps.length);
    return { steps: plan.steps };
  });
}
