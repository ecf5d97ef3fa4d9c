import { z } from 'zod';
import type { ApprovalService } from '../core/approvals/service.ts';
import { agentHandler } from '../shared/agent-middleware.ts';

export const ApprovalEventSchema = z.discriminatedUnion('op', [
  /** From the state machine's "Request approval" state, with its task token. */
  z.object({
    op: z.literal('request'),
    taskToken: z.string().min(1),
    runId: z.string().min(1),
    stepIndex: z.number().int().nonnegative(),
  }),
  /** From the schedule: reminders, escalation emails and expiry that are due. */
  z.object({ op: z.literal('escalate') }),
]);

/** The approvals Lambda: opens approval requests for paused steps and runs the escalation job. */
export function createApprovalHandler(service: ApprovalService) {
  return agentHandler(ApprovalEventSchema, async (event) => {
    if (event.op === 'escalate') return service.escalate();
    const approval = await service.request(event);
    return { approvalId: approval.approvalId, status: approval.status };
  });
}
