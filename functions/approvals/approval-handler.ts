import * as z from 'zod';
import type { ApprovalService } from '../core/approvals/service.ts';
import type { Recovery } from '../core/recovery.ts';
import { agentHandler } from '../shared/agent-middleware.ts';

export const ApprovalEventSchema = z.discriminatedUnion('op', [
  /** From the state machine's "Request approval" state, with its task token. */
  z.object({
    op: z.literal('request'),
    taskToken: z.string().min(1),
    runId: z.string().min(1),
    stepIndex: z.number().int().nonnegative(),
  }),
  /** From the schedule: reminders, escalation emails and expiry that are due, and the recovery sweep. */
  z.object({ op: z.literal('escalate') }),
]);

/**
 * The approvals Lambda: opens approval requests for paused steps and runs the escalation job.
 * Given a recovery (the scheduled function is; the request function, invoked by the state
 * machine, is not), the scheduled job also finishes what a crash stranded.
 */
export function createApprovalHandler(service: ApprovalService, recovery?: Recovery) {
  return agentHandler(ApprovalEventSchema, async (event) => {
    if (event.op === 'escalate') {
      // Recovery first: a stranded run matters more than a reminder, and each pass is bounded.
      const recovered = recovery ? await recovery.sweep() : undefined;
      return { ...(await service.escalate()), ...(recovered ? { recovered } : {}) };
    }
    const approval = await service.request(event);
    return { approvalId: approval.approvalId, status: approval.status };
  });
}
