import * as z from 'zod';
import { runCost } from '../core/metrics/usage.ts';
import type { WorkflowCatalog } from '../core/ports.ts';
import { runIdOfExecution } from '../core/run-control/executions.ts';
import { createRunRecorder, type RunRecorderDeps } from '../core/run-recorder.ts';
import type { Run } from '../core/schemas.ts';
import { agentHandler } from '../shared/agent-middleware.ts';
import { metrics } from '../shared/powertools.ts';
import { runSucceededMetrics } from '../shared/workflow-metrics.ts';

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

export interface RunRecorderHandlerDeps extends RunRecorderDeps {
  /** Where a succeeded run's `minutesSavedPerRun` comes from (the version it ran). */
  catalog?: Pick<WorkflowCatalog, 'workflow'>;
}

/**
 * A live run that succeeded, as CloudWatch metrics per workflow: the playbook's minutes saved, and
 * its cost as far as it is recorded at its finish (model spend, the gateway's attempts, the table's
 * writes). The execution's own transitions are not countable from inside it: `aios cost` adds them.
 */
async function emitSucceeded(deps: RunRecorderHandlerDeps, run: Run) {
  if (run.status !== 'SUCCEEDED' || run.mode === 'shadow') return;
  const [workflow, journal, audit, intents] = await Promise.all([
    deps.catalog?.workflow(run.workflow, run.workflowVersion),
    deps.store.listJournal(run.runId),
    deps.store.listAudit(run.runId),
    deps.store.listIntents(run.runId),
  ]);
  const cost = runCost({ run, journal, audit, intents, approvals: [], history: [] });
  runSucceededMetrics(run, {
    ...(workflow?.minutesSavedPerRun !== undefined ? { minutesSaved: workflow.minutesSavedPerRun } : {}),
    costUsd: cost.totalUsd,
  });
}

export function createRunRecorderHandler(deps: RunRecorderHandlerDeps) {
  const recorder = createRunRecorder(deps);
  return agentHandler(RunRecorderEventSchema, async (event) => {
    switch (event.op) {
      case 'start':
        return { status: (await recorder.start(event.runId)).status };
      case 'finish': {
        metrics.addMetric('RunSucceeded', 'Count', 1);
        const run = await recorder.finish(event.runId);
        await emitSucceeded(deps, run);
        return { status: run.status };
      }
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
