import type { Approval, ApprovalEvent, ApprovalStatus, Decision } from '../approvals/approval.ts';
import type { Action } from '../schemas.ts';

/** What ends a pending request: a decision, or expiry. */
export interface Settlement {
  status: Exclude<ApprovalStatus, 'PENDING'>;
  /** When it was settled; recovery looks at settlements older than a grace period. */
  at: string;
  event: ApprovalEvent;
  decision?: Decision;
  /** The action as approved, when the approver edited its parameters. */
  action?: Action;
}

/**
 * Approval records; the task token is kept beside the record and never leaves the server.
 * Only `settle` is conditional on the status; the other writes never conflict with a decision.
 */
export interface ApprovalStore {
  /**
   * Writes the record once; a second create for the same id returns the first and keeps its token
   * fresh (a settled record given a new token is listed as unanswered again: the run waits on it).
   */
  create(approval: Approval, taskToken: string): Promise<Approval>;
  get(approvalId: string): Promise<Approval | undefined>;
  taskToken(approvalId: string): Promise<string | undefined>;
  /** Appends to the history (and notes where the Slack message went), whatever the status. */
  recordEvent(
    approvalId: string,
    event: ApprovalEvent,
    extra?: { slackMessage?: { channel: string; ts: string } },
  ): Promise<Approval>;
  /** The next escalation step, only while PENDING and not past it already; otherwise ConflictError. */
  advanceEscalation(
    approvalId: string,
    escalation: { escalationStage: number; nextEscalationAt?: string },
    event: ApprovalEvent,
  ): Promise<Approval>;
  /** PENDING → settled: the first settlement wins; ConflictError exactly when it is no longer PENDING. */
  settle(approvalId: string, settlement: Settlement): Promise<Approval>;
  /** The run has its answer on `taskToken`; ConflictError when a newer token has come meanwhile. */
  markAnswered(approvalId: string, taskToken: string | undefined, at: string): Promise<void>;
  /** The settlement's audit and journal entries are written. */
  markLogged(approvalId: string, at: string): Promise<void>;
  listPending(): Promise<Approval[]>;
  /**
   * Settled before `settledBefore` (ISO time) and not finished: the run not yet answered, or the
   * settlement not yet logged. A cheap indexed query.
   */
  listUnanswered(settledBefore: string): Promise<Approval[]>;
}

/** How the operator hears about a request: Slack and email, locally the outbox. Best effort, never fatal. */
export interface ApprovalNotifier {
  /** First notice on the workflow's channels; returns where the Slack message went, if anywhere. */
  notify(
    approval: Approval,
  ): Promise<{ slackMessage?: { channel: string; ts: string }; links?: string[]; detail: string }>;
  remind(approval: Approval): Promise<string>;
  /** The escalation step: a magic link by email (when email was not a first channel). */
  escalate(approval: Approval): Promise<string>;
  /** Updates what the approvers see (the Slack message) once decided. */
  showDecision(approval: Approval): Promise<void>;
}

/**
 * Single use: a link's nonce is marked used by the first POST that goes on to a decision attempt.
 * A GET never marks it, so a mail scanner that follows the link uses nothing up.
 */
export interface LinkTokenUses {
  /** A conditional put: true for the first call with a nonce, false ever after. `expiresAt` is epoch ms. */
  markUsed(nonce: string, expiresAt: number): Promise<boolean>;
}
