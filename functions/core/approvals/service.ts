import type { Risk } from '../connector.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { workflowOf } from '../planner.ts';
import type { Clock, OrchestratorCallbacks, StateStore, WorkflowCatalog } from '../ports.ts';
import type { Intent, OperatorPolicy, Workflow } from '../schemas.ts';
import {
  type Approval,
  type ApprovalEvent,
  type Approvals,
  type DecideRequest,
  type DecideResult,
  EscalationSchema,
} from './approval.ts';

/** Approval records; the task token is kept beside the record and never leaves the server. */
export interface ApprovalStore {
  /** Writes the record once; a second create for the same id returns the first (and keeps its token fresh). */
  create(approval: Approval, taskToken: string): Promise<Approval>;
  get(approvalId: string): Promise<Approval | undefined>;
  taskToken(approvalId: string): Promise<string | undefined>;
  /** Conditional on the record still being PENDING; otherwise ConflictError. */
  update(approvalId: string, patch: Partial<Approval>): Promise<Approval>;
  listPending(): Promise<Approval[]>;
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

export interface ApprovalServiceDeps {
  approvals: ApprovalStore;
  store: StateStore;
  catalog: WorkflowCatalog;
  operatorPolicy: OperatorPolicy;
  callbacks: OrchestratorCallbacks;
  notifier: ApprovalNotifier;
  clock: Clock;
  riskOf: (actionType: string) => Risk | undefined;
  /** Checks edited parameters against the connector's schema; returns the problem, if any. */
  validateParams: (actionType: string, params: Record<string, unknown>) => string | undefined;
  /** Task-token answers that say "already closed" (the run moved on) are not failures. */
  isClosedToken: (error: unknown) => boolean;
}

export const approvalIdFor = (runId: string, stepIndex: number) => `${runId}-s${stepIndex}`;

const minutes = (n: number) => n * 60_000;

function describeAction(intent: Intent): string {
  const params = Object.entries(intent.action.params)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('; ');
  // One line: a summary is shown in lists, Slack headers and email subjects.
  return `${intent.title}: ${intent.action.type}${params ? ` (${params.replace(/\s+/g, ' ').slice(0, 400)})` : ''}`;
}

/**
 * One approval record per paused step, whatever the channel: the first decision wins (a
 * conditional write), the paused run resumes on its task token, escalation walks the
 * workflow's steps (reminder, email, expiry) and every step lands in the record's history.
 */
export function createApprovalService(deps: ApprovalServiceDeps) {
  const now = () => deps.clock.now();
  const event = (e: Omit<ApprovalEvent, 'at'>): ApprovalEvent => ({ at: now().toISOString(), ...e });

  async function answer(send: () => Promise<void>) {
    try {
      await send();
    } catch (error) {
      if (!deps.isClosedToken(error)) throw error;
    }
  }

  async function record(
    approval: Approval,
    outcome: 'approved' | 'rejected-by-approver' | 'approval-expired',
    reason: string,
  ) {
    await deps.store.appendAudit({
      runId: approval.runId,
      stepIndex: approval.stepIndex,
      at: now().toISOString(),
      outcome,
      actionType: approval.action.type,
      agent: approval.decision ? `${approval.decision.channel}:${approval.decision.by}` : 'escalation',
      decision: 'needs-approval',
      reason,
    });
    await deps.store.appendJournal({
      runId: approval.runId,
      at: now().toISOString(),
      kind: 'decision',
      message: `step ${approval.stepIndex + 1} ${approval.stepId}: ${reason}`,
      data: { approvalId: approval.approvalId, status: approval.status },
    });
  }

  const service = {
    /** Called by the paused state machine with its task token; safe to repeat. */
    async request(input: { taskToken: string; runId: string; stepIndex: number }): Promise<Approval> {
      const intent = await deps.store.getIntent(input.runId, input.stepIndex);
      if (!intent) throw new NotFoundError(`no intent for run ${input.runId} step ${input.stepIndex}`);
      const run = await deps.store.getRun(input.runId);
      if (!run) throw new NotFoundError(`run ${input.runId} does not exist`);
      const workflow: Workflow = workflowOf(deps.catalog, run);
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
        approvers: deps.operatorPolicy.approvers,
        channels,
        escalation,
        createdAt: created.toISOString(),
        expiresAt: new Date(created.getTime() + escalation.expireAfterHours * 3_600_000).toISOString(),
        escalationStage: 0,
        history: [event({ event: 'requested', detail: intent.reason ?? 'the policy asks for approval' })],
      };
      approval.nextEscalationAt = nextEscalation(approval);
      const stored = await deps.approvals.create(approval, input.taskToken);
      if (stored.history.length > 1) return stored; // a retried request: already notified
      let notified: Awaited<ReturnType<ApprovalNotifier['notify']>>;
      try {
        notified = await deps.notifier.notify(stored);
      } catch (error) {
        notified = { detail: `could not notify: ${(error as Error).message}` };
      }
      const updated = await deps.approvals.update(stored.approvalId, {
        ...(notified.slackMessage ? { slackMessage: notified.slackMessage } : {}),
        history: [...stored.history, event({ event: 'notified', detail: notified.detail })],
      });
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
      const approval = await deps.approvals.get(approvalId);
      if (!approval) return { ok: false, reason: 'not-found' };
      const decided = () =>
        `already ${approval.status.toLowerCase()}${approval.decision ? ` by ${approval.decision.by} (${approval.decision.channel}) at ${approval.decision.at}` : ''}`;
      if (approval.status !== 'PENDING') {
        return {
          ok: false,
          reason: approval.status === 'EXPIRED' ? 'expired' : 'already-decided',
          approval,
          message: decided(),
        };
      }
      if (new Date(approval.expiresAt).getTime() <= now().getTime()) {
        return {
          ok: false,
          reason: 'expired',
          approval,
          message: `the request expired at ${approval.expiresAt}`,
        };
      }
      const allowed =
        request.channel === 'slack'
          ? approval.approvers.slackUserIds.includes(request.by)
          : request.channel === 'email'
            ? approval.approvers.emails.includes(request.by)
            : true; // the operator API and CLI are authenticated already
      if (!allowed) {
        return {
          ok: false,
          reason: 'not-allowed',
          approval,
          message: `${request.by} may not decide this request on ${request.channel}`,
        };
      }
      let action = approval.action;
      if (request.editedParams && request.outcome === 'approved') {
        const unknown = Object.keys(request.editedParams).filter((k) => !approval.editable.includes(k));
        if (unknown.length > 0) {
          return {
            ok: false,
            reason: 'invalid-edit',
            approval,
            message: `${unknown.join(', ')} may not be edited (editable: ${approval.editable.join(', ') || 'none'})`,
          };
        }
        const params = { ...approval.action.params, ...request.editedParams };
        const problem = deps.validateParams(approval.action.type, params);
        if (problem) return { ok: false, reason: 'invalid-edit', approval, message: problem };
        action = { ...approval.action, params };
      }
      const at = now().toISOString();
      let updated: Approval;
      try {
        updated = await deps.approvals.update(approvalId, {
          status: request.outcome === 'approved' ? 'APPROVED' : 'REJECTED',
          action,
          decision: {
            outcome: request.outcome,
            channel: request.channel,
            by: request.by,
            at,
            note: request.note,
            editedParams: request.editedParams,
          },
          nextEscalationAt: undefined,
          history: [
            ...approval.history,
            event({
              event: request.outcome,
              channel: request.channel,
              detail: `${request.by}${request.note ? `: ${request.note}` : ''}`,
            }),
          ],
        });
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        const winner = (await deps.approvals.get(approvalId)) ?? approval;
        return {
          ok: false,
          reason: 'already-decided',
          approval: winner,
          message: `already ${winner.status.toLowerCase()} by ${winner.decision?.by ?? 'someone'} at ${winner.decision?.at ?? '?'}`,
        };
      }
      const token = await deps.approvals.taskToken(approvalId);
      if (token) {
        await answer(() =>
          request.outcome === 'approved'
            ? deps.callbacks.taskSucceeded(token, {
                approved: true,
                by: request.by,
                channel: request.channel,
                params: action.params,
              })
            : deps.callbacks.taskFailed(
                token,
                'ApprovalRejectedError',
                `rejected by ${request.by} via ${request.channel}${request.note ? `: ${request.note}` : ''}`,
              ),
        );
      }
      await record(
        updated,
        request.outcome === 'approved' ? 'approved' : 'rejected-by-approver',
        `${request.outcome} by ${request.by} via ${request.channel}${request.editedParams ? ' (edited)' : ''}${request.note ? `: ${request.note}` : ''}`,
      );
      await deps.notifier.showDecision(updated).catch(() => undefined);
      return { ok: true, approval: updated };
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
          const next = { ...approval, escalationStage: remind ? 1 : 2 };
          await deps.approvals.update(approval.approvalId, {
            escalationStage: next.escalationStage,
            nextEscalationAt: nextEscalation(next),
            history: [
              ...approval.history,
              event({
                event: remind ? 'reminded' : 'escalated',
                channel: remind ? 'slack' : 'email',
                detail,
              }),
            ],
          });
          if (remind) counts.reminded += 1;
          else counts.escalated += 1;
        } catch (error) {
          if (!(error instanceof ConflictError)) throw error; // decided meanwhile: nothing to do
        }
      }
      return counts;
    },
  };

  async function expire(approval: Approval) {
    const handOff = approval.escalation.onExpiry === 'hand-off';
    const detail = handOff
      ? `nobody decided within ${approval.escalation.expireAfterHours} h: handed to the operator to finish by hand`
      : `nobody decided within ${approval.escalation.expireAfterHours} h: rejected automatically`;
    const updated = await deps.approvals.update(approval.approvalId, {
      status: 'EXPIRED',
      nextEscalationAt: undefined,
      history: [...approval.history, event({ event: 'expired', detail })],
    });
    const token = await deps.approvals.taskToken(approval.approvalId);
    if (token) {
      await answer(() =>
        deps.callbacks.taskFailed(
          token,
          handOff ? 'ApprovalHandedOffError' : 'ApprovalTimedOutError',
          detail,
        ),
      );
    }
    await record(updated, 'approval-expired', detail);
    await deps.notifier.showDecision(updated).catch(() => undefined);
  }

  return service satisfies Approvals & Record<string, unknown>;
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
