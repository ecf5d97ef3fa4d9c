import type { Risk } from '../connector.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { workflowOf } from '../planner.ts';
import type {
  ApprovalNotifier,
  ApprovalStore,
  Clock,
  OrchestratorCallbacks,
  StateStore,
  WorkflowCatalog,
} from '../ports.ts';
import type { Action, Intent, OperatorPolicy, Workflow } from '../schemas.ts';
import {
  type Approval,
  type ApprovalEvent,
  type Approvals,
  type DecideRequest,
  type DecideResult,
  EscalationSchema,
} from './approval.ts';
import { approvalIdFor, createDecisionLog, expiryDetail, withdrawnDetail } from './decision-log.ts';

export type { ApprovalNotifier, ApprovalStore, Settlement } from '../ports.ts';

export interface ApprovalServiceDeps {
  approvals: ApprovalStore;
  store: StateStore;
  catalog: WorkflowCatalog;
  /** The operator's policy at a version (the run's pinned one): its approvers get each new request. */
  operatorPolicy: (version?: number) => Promise<OperatorPolicy>;
  callbacks: OrchestratorCallbacks;
  notifier: ApprovalNotifier;
  clock: Clock;
  riskOf: (actionType: string) => Risk | undefined;
  /** Checks edited parameters against the connector's schema; returns the problem, if any. */
  validateParams: (actionType: string, params: Record<string, unknown>) => string | undefined;
  /** Told of each decided approval: it counts as a judgement of the workflow (trust-service.ts). */
  onDecided?: (approval: Approval) => Promise<void>;
  /**
   * False for the public link and Slack endpoints, whose roles may touch approval and link items
   * only: a settlement there is logged (audit, journal, judgement) by the next appender
   * (decision-log.ts). Default true.
   */
  appendsRunLog?: boolean;
}

export { approvalIdFor } from './decision-log.ts';

const minutes = (n: number) => n * 60_000;
/** A settlement that finds the record changed re-reads it; only a decided record stops it. */
const SETTLE_ATTEMPTS = 5;
function describeAction(intent: Intent): string {
  const params = Object.entries(intent.action.params)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('; ');
  // One line: a summary is shown in lists, Slack headers and email subjects.
  return `${intent.title}: ${intent.action.type}${params ? ` (${params.replace(/\s+/g, ' ').slice(0, 400)})` : ''}`;
}

/** What the paused run is told about a settled approval: the same answer however often it is given. */
export function answerOf(
  approval: Approval,
):
  | { kind: 'success'; output: { approved: true; by: string; channel: string; params: unknown } }
  | { kind: 'failure'; error: string; cause: string } {
  const { decision } = approval;
  if (approval.status === 'WITHDRAWN') {
    return { kind: 'failure', error: 'RunCancelledError', cause: withdrawnDetail(approval) };
  }
  if (approval.status === 'EXPIRED' || !decision) {
    return {
      kind: 'failure',
      error: approval.escalation.onExpiry === 'hand-off' ? 'ApprovalHandedOffError' : 'ApprovalTimedOutError',
      cause: expiryDetail(approval),
    };
  }
  if (approval.status === 'APPROVED') {
    return {
      kind: 'success',
      output: { approved: true, by: decision.by, channel: decision.channel, params: approval.action.params },
    };
  }
  return {
    kind: 'failure',
    error: 'ApprovalRejectedError',
    cause: `rejected by ${decision.by} via ${decision.channel}${decision.note ? `: ${decision.note}` : ''}`,
  };
}

/**
 * One approval record per paused step, whatever the channel: the first decision wins (a
 * conditional write), the paused run resumes on its task token, escalation walks the
 * workflow's steps (reminder, email, expiry) and every step lands in the record's history.
 * A settled approval is marked answered only once its run has been told, so a crash between
 * the two leaves it listed for `answerSettled`, which recovery calls.
 */
export function createApprovalService(deps: ApprovalServiceDeps) {
  const now = () => deps.clock.now();
  const event = (e: Omit<ApprovalEvent, 'at'>): ApprovalEvent => ({ at: now().toISOString(), ...e });

  /** Answers the token; "already closed" (the run moved on, or was answered before) is an answer too. */
  async function answer(token: string, approval: Approval): Promise<'answered' | 'closed'> {
    const outcome = answerOf(approval);
    const answered =
      outcome.kind === 'success'
        ? await deps.callbacks.taskSucceeded(token, outcome.output)
        : await deps.callbacks.taskFailed(token, outcome.error, outcome.cause);
    return answered.outcome;
  }

  /** Tells the paused run the outcome, then notes that it was told: in that order, so a crash repeats the telling. */
  async function deliver(approval: Approval): Promise<'answered' | 'closed'> {
    for (let attempt = 1; ; attempt += 1) {
      const token = await deps.approvals.taskToken(approval.approvalId);
      const outcome = token ? await answer(token, approval) : 'closed';
      try {
        await deps.approvals.markAnswered(approval.approvalId, token, now().toISOString());
        return outcome;
      } catch (error) {
        // A retried request brought a newer token meanwhile: that one waits for the answer too.
        if (!(error instanceof ConflictError) || attempt >= 3) throw error;
      }
    }
  }

  const decisions = createDecisionLog(deps);
  const appends = deps.appendsRunLog ?? true;

  /** After a settlement: the audit log (where this caller may write it), the run's answer, what the approvers see. */
  async function conclude(approval: Approval) {
    // Before the run is told, so the judgement is on record by the time the run goes on; the
    // public endpoints leave it to the executor (approved) or the run recorder (failed).
    if (appends) await decisions.settled(approval);
    await deliver(approval);
    await deps.notifier.showDecision(approval).catch(() => undefined);
  }

  const service = {
    /** Called by the paused state machine with its task token; safe to repeat. */
    async request(input: { taskToken: string; runId: string; stepIndex: number }): Promise<Approval> {
      const intent = await deps.store.getIntent(input.runId, input.stepIndex);
      if (!intent) throw new NotFoundError(`no intent for run ${input.runId} step ${input.stepIndex}`);
      const run = await deps.store.getRun(input.runId);
      if (!run) throw new NotFoundError(`run ${input.runId} does not exist`);
      const workflow: Workflow = await workflowOf(deps.catalog, run);
      const config = workflow.approval;
      const escalation = EscalationSchema.parse(config?.escalation ?? {});
      const created = now();
      const channels = config?.channels ?? ['slack', 'email'];
      const approval: Approval = {
        approvalId: approvalIdFor(input.runId, input.stepIndex),
        runId: input.runId,
        stepIndex: input.stepIndex,
        stepId: intent.stepId,
        workflow: workflow.name,
        summary: describeAction(intent),
        action: intent.action,
        risk: deps.riskOf(intent.action.type) ?? 'write',
        editable: config?.editable[intent.action.type] ?? [],
        status: 'PENDING',
        approvers: (await deps.operatorPolicy(run.policyVersion)).approvers,
        channels,
        escalation,
        createdAt: created.toISOString(),
        expiresAt: new Date(created.getTime() + escalation.expireAfterHours * 3_600_000).toISOString(),
        escalationStage: 0,
        history: [event({ event: 'requested', detail: intent.reason ?? 'the policy asks for approval' })],
      };
      approval.nextEscalationAt = nextEscalation(approval);
      const stored = await deps.approvals.create(approval, input.taskToken);
      if (stored.history.length > 1) return stored; // a retried request: already notified (or decided)
      let notified: Awaited<ReturnType<ApprovalNotifier['notify']>>;
      try {
        notified = await deps.notifier.notify(stored);
      } catch (error) {
        notified = { detail: `could not notify: ${(error as Error).message}` };
      }
      // The request is in the inbox and on Slack already, so it may be decided by now: this
      // append does not care, and the decision does not care about it.
      const updated = await deps.approvals.recordEvent(
        stored.approvalId,
        event({ event: 'notified', detail: notified.detail }),
        notified.slackMessage ? { slackMessage: notified.slackMessage } : {},
      );
      // Decided before the message was on record: the decision could not update it, so do it now.
      if (updated.status !== 'PENDING') await deps.notifier.showDecision(updated).catch(() => undefined);
      await deps.store.appendJournal({
        runId: input.runId,
        at: now().toISOString(),
        kind: 'decision',
        message: `step ${input.stepIndex + 1} ${intent.stepId} waits for approval ${stored.approvalId}: ${notified.detail}; or run: npx aios approve ${stored.approvalId}`,
        data: { approvalId: stored.approvalId, links: notified.links ?? [] },
      });
      return updated;
    },

    get: (approvalId: string) => deps.approvals.get(approvalId),
    listPending: () => deps.approvals.listPending(),

    async decide(approvalId: string, request: DecideRequest): Promise<DecideResult> {
      for (let attempt = 1; ; attempt += 1) {
        const approval = await deps.approvals.get(approvalId);
        if (!approval) return { ok: false, reason: 'not-found' };
        const refused = checkDecision(approval, request, now(), deps.validateParams);
        if ('reason' in refused) return refused;
        const at = now().toISOString();
        let updated: Approval;
        try {
          updated = await deps.approvals.settle(approvalId, {
            status: request.outcome === 'approved' ? 'APPROVED' : 'REJECTED',
            at,
            ...(refused.action ? { action: refused.action } : {}),
            decision: {
              outcome: request.outcome,
              channel: request.channel,
              by: request.by,
              at,
              note: request.note,
              editedParams: request.editedParams,
              ...openedWithin(approval, request.openedAt, at),
            },
            event: event({
              event: request.outcome,
              channel: request.channel,
              detail: `${request.by}${request.note ? `: ${request.note}` : ''}`,
            }),
          });
        } catch (error) {
          if (!(error instanceof ConflictError) || attempt >= SETTLE_ATTEMPTS) throw error;
          continue; // no longer pending: the next read says who decided first
        }
        await conclude(updated);
        return { ok: true, approval: updated };
      }
    },

    /**
     * The run was cancelled: each of its pending requests is withdrawn (a conditional write, so a
     * decision that came first stands), so no channel can decide it any more. Returns their ids.
     */
    async withdrawForRun(runId: string, detail: string): Promise<string[]> {
      const withdrawn: string[] = [];
      for (const approval of await deps.approvals.listPending()) {
        if (approval.runId !== runId) continue;
        try {
          const updated = await deps.approvals.settle(approval.approvalId, {
            status: 'WITHDRAWN',
            at: now().toISOString(),
            event: event({ event: 'withdrawn', detail }),
          });
          await conclude(updated);
          withdrawn.push(approval.approvalId);
        } catch (error) {
          if (!(error instanceof ConflictError)) throw error;
        }
      }
      return withdrawn;
    },

    /** One pass of the escalation job: reminders, emails and expiry that are due. */
    async escalate(): Promise<{ reminded: number; escalated: number; expired: number }> {
      const counts = { reminded: 0, escalated: 0, expired: 0 };
      const at = now();
      for (const approval of await deps.approvals.listPending()) {
        try {
          if (new Date(approval.expiresAt).getTime() <= at.getTime()) {
            await expire(approval);
            counts.expired += 1;
            continue;
          }
          if (!approval.nextEscalationAt || new Date(approval.nextEscalationAt).getTime() > at.getTime())
            continue;
          const stage = approval.escalationStage;
          const remind =
            stage === 0 &&
            approval.escalation.slackReminderAfterMinutes > 0 &&
            approval.channels.includes('slack');
          const detail = remind
            ? await deps.notifier.remind(approval)
            : await deps.notifier.escalate(approval);
          const escalationStage = remind ? 1 : 2;
          await deps.approvals.advanceEscalation(
            approval.approvalId,
            { escalationStage, nextEscalationAt: nextEscalation({ ...approval, escalationStage }) },
            event({ event: remind ? 'reminded' : 'escalated', channel: remind ? 'slack' : 'email', detail }),
          );
          if (remind) counts.reminded += 1;
          else counts.escalated += 1;
        } catch (error) {
          // Decided meanwhile, or another pass took this step: nothing to do.
          if (!(error instanceof ConflictError)) throw error;
        }
      }
      return counts;
    },

    /** Settled before `before` and not finished (run never told, or settlement never logged): what recovery takes up. */
    unanswered: (before: Date) => deps.approvals.listUnanswered(before.toISOString()),

    /**
     * Finishes what a crash (or a public endpoint) left after a settlement: the audit and journal
     * entries if they are missing, then the run's answer if it never had it. Repeating it answers
     * nothing twice: a token already answered is closed, and a record marked answered is left alone.
     */
    async answerSettled(approvalId: string): Promise<'answered' | 'closed' | 'nothing'> {
      const approval = await deps.approvals.get(approvalId);
      if (!approval || approval.status === 'PENDING') return 'nothing';
      await decisions.settled(approval);
      if (approval.answeredAt) return 'nothing';
      const outcome = await deliver(approval);
      if (outcome === 'answered') {
        await deps.store.appendJournal({
          runId: approval.runId,
          at: now().toISOString(),
          kind: 'decision',
          message: `step ${approval.stepIndex + 1} ${approval.stepId}: the run had not heard that approval ${approvalId} was ${approval.status.toLowerCase()}; told it on recovery`,
          data: { approvalId, status: approval.status },
        });
      }
      await deps.notifier.showDecision(approval).catch(() => undefined);
      return outcome;
    },
  };

  async function expire(approval: Approval) {
    const updated = await deps.approvals.settle(approval.approvalId, {
      status: 'EXPIRED',
      at: now().toISOString(),
      event: event({ event: 'expired', detail: expiryDetail(approval) }),
    });
    await conclude(updated);
  }

  return service satisfies Approvals & Record<string, unknown>;
}

/**
 * The opening time a decision records: the approver's word for it, held between the request's
 * creation and the decision (a form kept open over a restart, or a wrong clock, measures no more
 * than the request lived); none given or not a time, none recorded.
 */
function openedWithin(approval: Approval, openedAt: string | undefined, at: string): { openedAt?: string } {
  const opened = openedAt === undefined ? Number.NaN : Date.parse(openedAt);
  if (Number.isNaN(opened)) return {};
  const held = Math.min(Date.parse(at), Math.max(Date.parse(approval.createdAt), opened));
  return { openedAt: new Date(held).toISOString() };
}

/** Whether `request` may decide `approval` now; the action to record when it may. */
function checkDecision(
  approval: Approval,
  request: DecideRequest,
  at: Date,
  validateParams: ApprovalServiceDeps['validateParams'],
): Extract<DecideResult, { ok: false; approval: Approval }> | { action?: Action } {
  const refuse = (
    reason: 'already-decided' | 'expired' | 'not-allowed' | 'invalid-edit',
    message: string,
  ) => ({ ok: false as const, reason, approval, message });
  if (approval.status !== 'PENDING') {
    const by = approval.decision
      ? ` by ${approval.decision.by} (${approval.decision.channel}) at ${approval.decision.at}`
      : '';
    if (approval.status === 'WITHDRAWN') return refuse('already-decided', withdrawnDetail(approval));
    return refuse(
      approval.status === 'EXPIRED' ? 'expired' : 'already-decided',
      `already ${approval.status.toLowerCase()}${by}`,
    );
  }
  if (new Date(approval.expiresAt).getTime() <= at.getTime())
    return refuse('expired', `the request expired at ${approval.expiresAt}`);
  const allowed =
    request.channel === 'slack'
      ? approval.approvers.slackUserIds.includes(request.by)
      : request.channel === 'email'
        ? approval.approvers.emails.includes(request.by)
        : true; // the operator API and CLI are authenticated already
  if (!allowed)
    return refuse('not-allowed', `${request.by} may not decide this request on ${request.channel}`);
  if (!request.editedParams || request.outcome !== 'approved') return {};
  const unknown = Object.keys(request.editedParams).filter((k) => !approval.editable.includes(k));
  if (unknown.length > 0) {
    return refuse(
      'invalid-edit',
      `${unknown.join(', ')} may not be edited (editable: ${approval.editable.join(', ') || 'none'})`,
    );
  }
  const params = { ...approval.action.params, ...request.editedParams };
  const problem = validateParams(approval.action.type, params);
  if (problem) return refuse('invalid-edit', problem);
  return { action: { ...approval.action, params } };
}

/** When the next escalation step is due: the Slack reminder, then the email, then nothing (expiry is separate). */
function nextEscalation(approval: Approval): string | undefined {
  const created = new Date(approval.createdAt).getTime();
  const { slackReminderAfterMinutes, emailAfterMinutes } = approval.escalation;
  if (
    approval.escalationStage === 0 &&
    slackReminderAfterMinutes > 0 &&
    approval.channels.includes('slack')
  ) {
    return new Date(created + minutes(slackReminderAfterMinutes)).toISOString();
  }
  if (approval.escalationStage <= 1 && emailAfterMinutes > 0 && !approval.channels.includes('email')) {
    return new Date(created + minutes(emailAfterMinutes)).toISOString();
  }
  return undefined;
}

export type ApprovalService = ReturnType<typeof createApprovalService>;
