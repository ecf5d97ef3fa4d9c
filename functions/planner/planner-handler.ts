import * as z from 'zod';
import { createHandoffService, type HandoffServiceDeps } from '../core/agents/handoff-service.ts';
import {
  createModelStepRunner,
  type ModelStepDeps,
  type ModelStepOutcome,
} from '../core/agents/model-step.ts';
import { createPlanner, type PlannerDeps } from '../core/planner.ts';
import type { HandoffStore } from '../core/ports.ts';
import { type PlanStep, PlanStepSchema } from '../core/schemas.ts';
import { agentHandler } from '../shared/agent-middleware.ts';
import { metrics } from '../shared/powertools.ts';

const RunIdSchema = z.string().min(1);
const StepIndexSchema = z.number().int().nonnegative();

export const PlannerEventSchema = z.union([
  z.object({ runId: RunIdSchema }).strict(),
  /** A model step of the plan: drafted or extracted here, by the agent that holds the model. */
  z.object({
    op: z.literal('model-step'),
    runId: RunIdSchema,
    stepIndex: StepIndexSchema,
    step: PlanStepSchema,
  }),
  /** A model step the model could not do: the operator's inbox item, answered on the task token. */
  z.object({
    op: z.literal('handoff'),
    runId: RunIdSchema,
    stepIndex: StepIndexSchema,
    taskToken: z.string().min(1),
  }),
]);

export interface PlannerHandlerDeps
  extends PlannerDeps,
    Pick<ModelStepDeps, 'retry' | 'callTimeoutMs' | 'sleep'>,
    Pick<HandoffServiceDeps, 'alerts' | 'onAlertError'> {
  /** Where handed-off steps wait for the operator. */
  handoffs: HandoffStore;
}

export function createPlannerHandler(deps: PlannerHandlerDeps) {
  const planner = createPlanner(deps);
  const modelSteps = createModelStepRunner(deps);
  const handoffs = createHandoffService(deps);
  return agentHandler(
    PlannerEventSchema,
    async (event): Promise<{ steps: PlanStep[] } | ModelStepOutcome | { handoffId: string }> => {
      if (!('op' in event)) {
        const plan = await planner.plan(event.runId);
        metrics.addMetric('PlannedSteps', 'Count', plan.steps.length);
        return { steps: plan.steps };
      }
      if (event.op === 'model-step') {
        const outcome = await modelSteps.run(event.runId, event.stepIndex, event.step);
        metrics.addMetric(outcome.status === 'handoff' ? 'ModelStepHandoffs' : 'ModelSteps', 'Count', 1);
        return outcome;
      }
      const handoff = await handoffs.open(event.runId, event.stepIndex, event.taskToken);
      return { handoffId: handoff.handoffId };
    },
  );
}
