import * as z from 'zod';
import { lazySchema } from '../lazy-schema.ts';
import { ActionSchema, EscalationSchema, RiskSchema } from '../schemas.ts';

export { type Escalation, EscalationSchema } from '../schemas.ts';

/** Where a decision came from. The approver id is a Slack user id, an email address, or the operator. */
export const DecisionChannelSchema = z.enum(['slack', 'email', 'api', 'cli']);
export type DecisionChannel = z.infer<typeof DecisionChannelSchema>;

/** WITHDRAWN: its run was cancelled while it waited; it decides nothing any more. */
export const ApprovalStatusSchema = z.enum(['PENDING', 'APPROVED', 'REJECTED', 'EXPIRED', 'WITHDRAWN']);
export type ApprovalStatus = z.infer<typeof ApprovalStatusSchema>;

export const ApproverSchema = lazySchema(() =>
  z.object({
    /** Slack user ids allowed to decide from Slack. */
    slackUserIds: z
      .array(z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'must be a Slack user id like U0123ABC'))
      .default([]),
    /** Email addresses that get a magic link; each link is bound to its address. */
    emails: z.array(z.email()).default([]),
  }),
);
export type Approvers = z.infer<typeof ApproverSchema>;

export const ApprovalEventSchema = lazySchema(() =>
  z.object({
    at: z.string(),
    event: z.enum([
      'requested',
      'notified',
      'reminded',
      'escalated',
      'approved',
      'rejected',
      'expired',
      'refused',
      'withdrawn',
    ]),
    channel: z.string().optional(),
    detail: z.string(),
  }),
);
export type ApprovalEvent = z.infer<typeof ApprovalEventSchema>;

export const DecisionSchema = lazySchema(() =>
  z.object({
    outcome: z.enum(['approved', 'rejected']),
    channel: DecisionChannelSchema,
    /** Who decided: the Slack user id, the email address the link was bound to, or "operator". */
    by: z.string().min(1),
    at: z.string(),
    note: z.string().max(2000).optional(),
    /** Edit-then-approve: the parameters the approver changed, already validated. */
    editedParams: z.record(z.string(), z.unknown()).optional(),
    /** When the approver opened the request to decide (the console's form says), so the decision's own time is measured. */
    openedAt: z.string().optional(),
  }),
);
export type Decision = z.infer<typeof DecisionSchema>;

/**
 * One approval request, whatever the channels: Slack and email resolve this same record, and
 * the first decision wins. The task token stays on the server and is never sent anywhere.
 */
export const ApprovalSchema = lazySchema(() =>
  z.object({
    approvalId: z.string().min(1),
    runId: z.string(),
    stepIndex: z.number().int().nonnegative(),
    stepId: z.string(),
    workflow: z.string(),
    /** What the agent proposes, in plain words. */
    summary: z.string(),
    action: ActionSchema,
    risk: RiskSchema,
    /** Parameter names an approver may change before approving. */
    editable: z.array(z.string()).default([]),
    status: ApprovalStatusSchema,
    approvers: ApproverSchema,
    channels: z.array(z.enum(['slack', 'email'])),
    escalation: EscalationSchema,
    createdAt: z.string(),
    expiresAt: z.string(),
    /** When the escalation job should look at this request next. */
    nextEscalationAt: z.string().optional(),
    escalationStage: z.number().int().nonnegative().default(0),
    decision: DecisionSchema.optional(),
    history: z.array(ApprovalEventSchema),
    /** Where the Slack message was posted, so it can be updated with the decision. */
    slackMessage: z.object({ channel: z.string(), ts: z.string() }).optional(),
    /**
     * When the paused run was told the outcome (its task token answered, or found already closed).
     * A decided or expired approval without it still has a run waiting: recovery answers it.
     */
    answeredAt: z.string().optional(),
    /**
     * When the settlement's audit and journal entries (and its judgement) were written. The public
     * link and Slack endpoints may not write run items, so they leave this to an appender (the
     * executor, the run recorder, the recovery sweep): until it is set, recovery lists the approval.
     */
    loggedAt: z.string().optional(),
  }),
);
export type Approval = z.infer<typeof ApprovalSchema>;

/** What a decision attempt came to. A second click anywhere is `already-decided`, never an error page. */
export type DecideResult =
  | { ok: true; approval: Approval }
  | { ok: false; reason: 'not-found' }
  | {
      ok: false;
      reason: 'already-decided' | 'expired' | 'not-allowed' | 'invalid-edit';
      approval: Approval;
      message: string;
    };

export interface DecideRequest {
  outcome: 'approved' | 'rejected';
  channel: DecisionChannel;
  by: string;
  note?: string;
  editedParams?: Record<string, unknown>;
  /**
   * When the approver opened the request to decide (ISO 8601; the console's inbox says when it
   * rendered it), so the decision's own time is measured; kept within the request's life.
   */
  openedAt?: string;
}

/** The approval service as the channels (Slack, email links, the operator API and CLI) see it. */
export interface Approvals {
  get(approvalId: string): Promise<Approval | undefined>;
  listPending(): Promise<Approval[]>;
  /**
   * Decides once: a conditional PENDING → APPROVED/REJECTED write, then the paused run is resumed.
   * Checks that `by` may decide on `channel` (allow-listed Slack user, the bound email address).
   */
  decide(approvalId: string, request: DecideRequest): Promise<DecideResult>;
}
