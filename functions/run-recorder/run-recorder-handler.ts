import * as z from 'zod';
import { runIdOfExecution } from '../core/run-control/executions.ts';
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
  /** From outside the state machine (EventBridge on AWS, the interpreter locally): the execution ended badly. */
  z.object({
    op: z.literal('execution-ended'),
    runId: z.string().min(1),
    status: z.enum(['FAILED', 'TIMED_OUT', 'ABORTED']),
    error: z.string().nullish(),
    cause: z.string().nullish(),
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
      case 'execution-ended':
        return {
          // `runId` carries the execution's name (EventBridge's detail.name): a retry's differs from its run's id.
          status: (
            await recorder.executionEnded(
              runIdOfExecution(event.runId),
              event.status,
              event.error,
              event.cause,
              event.runId,
            )
          ).status,
        };
    }
  });
}
