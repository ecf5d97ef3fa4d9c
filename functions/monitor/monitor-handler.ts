import * as z from 'zod';
import { createMonitor, type MonitorDeps, type StepOutcome } from '../core/monitor.ts';
import { ActionResultSchema } from '../core/schemas.ts';
import { agentHandler } from '../shared/agent-middleware.ts';

export const MonitorEventSchema = z.object({
  runId: z.string().min(1),
  stepIndex: z.number().int().nonnegative(),
  result: ActionResultSchema,
});

export function createMonitorHandler(deps: MonitorDeps) {
  const monitor = createMonitor(deps);
  return agentHandler(
    MonitorEventSchema,
    (event): Promise<StepOutcome> => monitor.check(event.runId, event.stepIndex, event.result),
  );
}
