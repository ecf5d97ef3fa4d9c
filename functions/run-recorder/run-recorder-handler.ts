import { z } from 'zod';
import { createRunRecorder, type RunRecorderDeps } from '../core/run-recorder.ts';
import { agentHandler } from '../shared/agent-middleware.ts';
import { metrics } from '../shared/powertools.ts';

export const RunRecorderEventSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('start'), runId: z.string().min(1) }),
  z.object({ op: z.literal('finish'), runId: z.string().min(1), outcomes: z.array(z.unknown()).optional() }),
  z.object({
    op: z.literal('fail'),
    runId: z.string().min(1),
    error: z.object({ Error: z.string(), Cause: z.string().optional() }),
  }),
]);

export function createRunRecorderHandler(deps: RunRecorderDeps) {
  const recorder = createRunRecorder(deps);
  return agentHandler(RunRecorderEventSchema, async (event) => {
    switch (event.op) {
      case 'start':
        return { status: (await recorder.start(event.runId)).status };
      case 'finish':
        metrics.addMetric('RunSucceeded', 'Count', 1);
        return { status: (await recorder.finish(event.runId)).status };
      case 'fail':
        metrics.addMetric('RunFailed', 'Count', 1);
        return { status: (await recorder.fail(event.runId, event.error)).status };
    }
  });
}
