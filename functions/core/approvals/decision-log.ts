import type { ApprovalStore, Clock, StateStore } from '../ports.ts';
import type { AuditEntry } from '../schemas.ts';
import type { Approval } from './approval.ts';

export const approvalIdFor = (runId: string, stepIndex: number) => `${runId}-s${stepIndex}`;

const DECISION_OUTCOMES: readonly AuditEntry['outcome'][] = [
  'approved',
  'rejected-by-approver',
  'approval-expired',
  'withdrawn',
];

export function expiryDetail(approval: Approval): string {
  const hours = approval.escalation.expireAfterHours;
  return approval.escalation.onExpiry === 'hand-off'
    ? `nobody decided within ${hours} h: handed to the operator to finish by hand`
    : `nobody decided within ${hours} h: rejected automatically`;
}

export function withdrawnDetail(approval: Approval): string {
  const withdrawn = approval.history.findLast((e) => e.event === 'withdrawn');
  return `withdrawn: run ${approval.runId} was cancelled${withdrawn ? ` (${withdrawn.detail})` : ''}; this request decides nothing`;
}

/** The audit log's outcome and reason for a settled approval. */
function auditOf(approval: Approval): { outcome: AuditEntry['outcome']; reason: string } {
  const { decision } = approval;
  if (approval.status === 'WITHDRAWN') return { outcome: 'withdrawn', reason: withdrawnDetail(approval) };
  if (approval.status === 'EXPIRED' || !decision)
    return { outcome: 'approval-expired', reason: expiryDetail(approval) };
  return {
    outcome: decision.outcome === 'approved' ? 'approved' : 'rejected-by-approver',
    reason: `${decision.outcome} by ${decision.by} via ${decision.channel}${decision.editedParams ? ' (edited)' : ''}${decision.note ? `: ${decision.note}` : ''}`,
  };
}

const SETTLING_EVENTS = new Set(['approved', 'rejected', 'expired', 'withdrawn']);

/** When the approval was settled: the same for every appender, so their entries coincide. */
function settledAt(approval: Approval): string {
  return (
    approval.decision?.at ??
    approval.history.findLast((e) => SETTLING_EVENTS.has(e.event))?.at ??
    approval.createdAt
  );
}

export interface DecisionLogDeps {
  approvals: Pick<ApprovalStore, 'get' | 'markLogged'>;
  store: Pick<StateStore, 'appendAudit' | 'appendJournal' | 'listAudit' | 'listJournal'>;
  clock: Clock;
  /** Told of each decided approval: it counts as a judgement of the workflow (trust-service.ts). */
  onDecided?: (approval: Approval) => Promise<void>;
}

/**
 * The appender of a settled approval's audit and journal entries and its judgement. The approval
 * record is the outbox: whoever may write run items (the deciding operator API, the escalation job,
 * the executor as the run resumes, the run recorder as it fails, the recovery sweep) logs a
 * settlement whose record is not marked logged yet. Safe to repeat: an audit entry already there is
 * not written again (nor a journal entry), a judgement is a conditional put, and the mark comes last, so a crash in
 * between leaves the approval listed for the next appender.
 */
export function createDecisionLog(deps: DecisionLogDeps) {
  const now = () => deps.clock.now().toISOString();

  /**
   * Each entry on its own, at the settlement's time and with an id of its own: appenders racing
   * (the executor and a recovery sweep) write each once, and a crash between the two leaves the
   * other to write. An entry written before entries had ids is found by its outcome.
   */
  async function record(approval: Approval) {
    const { outcome, reason } = auditOf(approval);
    const at = settledAt(approval);
    const id = `settlement-${approval.approvalId}`;
    const audit = await deps.store.listAudit(approval.runId);
    const audited = audit.some(
      (e) => e.stepIndex === approval.stepIndex && DECISION_OUTCOMES.includes(e.outcome),
    );
    if (!audited) {
      await deps.store.appendAudit(
        {
          runId: approval.runId,
          stepIndex: approval.stepIndex,
          at,
          outcome,
          actionType: approval.action.type,
          agent: approval.decision ? `${approval.decision.channel}:${approval.decision.by}` : 'escalation',
          decision: 'needs-approval',
          reason,
        },
        { id },
      );
    }
    const journal = await deps.store.listJournal(approval.runId);
    const journaled = journal.some(
      (e) => e.data?.approvalId === approval.approvalId && e.data?.settlement === true,
    );
    if (!journaled) {
      await deps.store.appendJournal(
        {
          runId: approval.runId,
          at,
          kind: 'decision',
          message: `step ${approval.stepIndex + 1} ${approval.stepId}: ${reason}`,
          data: { approvalId: approval.approvalId, status: approval.status, settlement: true },
        },
        { id },
      );
    }
  }

  const log = {
    /** Logs a settlement not logged yet; a pending or logged approval is left alone. */
    async settled(approval: Approval): Promise<void> {
      if (approval.status === 'PENDING' || approval.loggedAt) return;
      await record(approval);
      if (approval.decision) await deps.onDecided?.(approval);
      await deps.approvals.markLogged(approval.approvalId, now());
    },

    /** The same for the approval of one step of a run, if it has one. */
    async step(runId: string, stepIndex: number): Promise<void> {
      const approval = await deps.approvals.get(approvalIdFor(runId, stepIndex));
      if (approval) await log.settled(approval);
    },
  };
  return log;
}

export type DecisionLog = ReturnType<typeof createDecisionLog>;
