import type { Approval } from '../approvals/approval.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import type { Clock, StateStore, WorkflowCatalog } from '../ports.ts';
import { isModelStep, type Run, type RunMode, type Workflow } from '../schemas.ts';
import { parseOrThrow } from '../validation.ts';
import {
  type Agreement,
  agreementOf,
  formatRate,
  promotionVerdict,
  type RelaxSuggestion,
  relaxSuggestions,
} from './agreement.ts';
import type { TrustStore } from './ports.ts';
import {
  type Judgement,
  type JudgeRequest,
  JudgeRequestSchema,
  ModeChangeRequestSchema,
  type ReviewItem,
  reviewIdFor,
} from './schemas.ts';

export interface TrustServiceDeps {
  trust: TrustStore;
  store: StateStore;
  catalog: WorkflowCatalog;
  clock: Clock;
}

/** A workflow's mode is a versioned entity: each version says who changed it, when and why. */
const MODE_ENTITY = 'workflow-mode';
/** Where a workflow's mode changes go in the audit log (no run has this id: run ids end in a time and hex). */
export const modeAuditId = (workflow: string) => `workflow-${workflow}`;

export interface ModeChange {
  mode: RunMode;
  by: string;
  why: string;
  at: string;
  /** The agreement the change was made on. */
  agreement?: Agreement;
  workflowVersion: number;
}

export interface WorkflowTrust {
  workflow: string;
  version: number;
  mode: RunMode;
  promotion: Workflow['promotion'];
  /** Over the last `minJudged` judgements of each version, the current one first. */
  agreement: ({ version: number } & Agreement)[];
  /** Action types whose gate could be relaxed (never changed by itself). */
  suggestions: RelaxSuggestion[];
  /** Every mode change, oldest first. */
  modeChanges: ModeChange[];
}

export type TrustService = ReturnType<typeof createTrustService>;

/**
 * Trust earned and measured: shadow runs end as review items, every verdict and every approval of
 * a live run is a judgement, and a workflow goes live only when its agreement says so.
 */
export function createTrustService(deps: TrustServiceDeps) {
  const now = () => deps.clock.now().toISOString();
  // The newest version: promotion is judged on what new runs would run.
  const workflowNamed = async (name: string): Promise<Workflow> => {
    const workflow = await deps.catalog.workflow(name);
    if (!workflow) throw new NotFoundError(`workflow ${name} does not exist`);
    return workflow;
  };

  async function modeEntity(name: string) {
    return deps.store.getEntity(MODE_ENTITY, name);
  }

  async function modeChanges(name: string): Promise<ModeChange[]> {
    const latest = await modeEntity(name);
    if (!latest) return [];
    const versions = await Promise.all(
      Array.from({ length: latest.version }, (_, i) => deps.store.getEntityVersion(MODE_ENTITY, name, i + 1)),
    );
    return versions.flatMap((v) => (v ? [v.data as unknown as ModeChange] : []));
  }

  async function setMode(name: string, mode: RunMode, request: unknown, agreement?: Agreement) {
    const workflow = await workflowNamed(name);
    const { by, why } = parseOrThrow(ModeChangeRequestSchema, request ?? {}, 'request body');
    const current = await modeEntity(name);
    const change: ModeChange = {
      mode,
      by,
      why: why ?? (mode === 'live' ? 'promoted' : 'demoted'),
      at: now(),
      workflowVersion: workflow.version,
      ...(agreement ? { agreement } : {}),
    };
    await deps.store.putEntity(
      { type: MODE_ENTITY, id: name, data: { ...change }, updatedBy: by },
      current?.version,
      deps.clock.now(),
    );
    await deps.store.appendAudit({
      runId: modeAuditId(name),
      stepIndex: 0,
      at: change.at,
      outcome: mode === 'live' ? 'promoted' : 'demoted',
      actionType: 'workflow.mode',
      agent: by,
      reason: `${name} v${workflow.version} ${mode === 'live' ? 'promoted to live' : 'demoted to shadow'} by ${by}: ${change.why}${
        agreement ? ` (agreement ${formatRate(agreement.rate)} over the last ${agreement.judged} judged)` : ''
      }`,
    });
    return change;
  }

  const service = {
    /** The mode runs of the workflow start in, when the operator has set one (else the playbook's). */
    async modeOf(name: string): Promise<RunMode | undefined> {
      const entity = await modeEntity(name);
      return entity ? (entity.data as unknown as ModeChange).mode : undefined;
    },

    /** A finished shadow run: one review item per external action it proposed. Safe to repeat. */
    async openReviews(run: Run): Promise<ReviewItem[]> {
      if (run.mode !== 'shadow') return [];
      const intents = await deps.store.listIntents(run.runId);
      const items: ReviewItem[] = intents
        .filter((i) => i.status === 'SHADOWED' && !isModelStep(i.action.type) && i.compensates === undefined)
        .map((i) => ({
          reviewId: reviewIdFor(run.runId, i.stepIndex),
          runId: run.runId,
          stepIndex: i.stepIndex,
          stepId: i.stepId,
          title: i.title,
          workflow: run.workflow,
          workflowVersion: run.workflowVersion,
          action: i.action,
          status: 'PENDING',
          createdAt: now(),
        }));
      for (const item of items) await deps.trust.putReview(item);
      return items;
    },

    listReviews: () => deps.trust.listPendingReviews(),

    /** The operator's verdict on one proposed action: as I would do it, I would change it (with the change), I would not do it. */
    async judge(reviewId: string, body: JudgeRequest | unknown): Promise<ReviewItem> {
      const request = parseOrThrow(JudgeRequestSchema, body, 'request body');
      const item = await deps.trust.getReview(reviewId);
      if (!item) throw new NotFoundError(`review ${reviewId} does not exist`);
      if (item.status !== 'PENDING') {
        throw new ConflictError(`review ${reviewId} was judged already by ${item.judgement?.by}`);
      }
      const judgement: Judgement = {
        workflow: item.workflow,
        workflowVersion: item.workflowVersion,
        runId: item.runId,
        stepIndex: item.stepIndex,
        actionType: item.action.type,
        source: 'shadow-review',
        verdict: request.verdict,
        ...(request.change ? { change: request.change } : {}),
        ...(request.note ? { note: request.note } : {}),
        by: request.by,
        at: now(),
      };
      const judged = await deps.trust.judgeReview(reviewId, judgement);
      await deps.trust.recordJudgement(judgement);
      return judged;
    },

    /** A decided approval of a live run: approved unchanged agrees; edited or rejected does not. */
    async fromApproval(approval: Approval): Promise<void> {
      const { decision } = approval;
      if (!decision || (approval.status !== 'APPROVED' && approval.status !== 'REJECTED')) return;
      const run = await deps.store.getRun(approval.runId);
      if (run?.mode !== 'live') return;
      const edited = decision.editedParams !== undefined && Object.keys(decision.editedParams).length > 0;
      await deps.trust.recordJudgement({
        workflow: run.workflow,
        workflowVersion: run.workflowVersion,
        runId: run.runId,
        stepIndex: approval.stepIndex,
        actionType: approval.action.type,
        source: 'approval',
        verdict: decision.outcome === 'rejected' ? 'reject' : edited ? 'change' : 'agree',
        ...(edited ? { change: decision.editedParams } : {}),
        ...(decision.note ? { note: decision.note } : {}),
        by: `${decision.channel}:${decision.by}`,
        at: decision.at,
      });
    },

    /** Mode, agreement per version over the last `minJudged`, relax suggestions and the mode's history. */
    async status(name: string): Promise<WorkflowTrust> {
      const workflow = await workflowNamed(name);
      const { minJudged } = workflow.promotion;
      const versions = Array.from({ length: workflow.version }, (_, i) => workflow.version - i);
      const judged = await Promise.all(versions.map((v) => deps.trust.listJudgements(name, v)));
      return {
        workflow: name,
        version: workflow.version,
        mode: (await service.modeOf(name)) ?? workflow.mode,
        promotion: workflow.promotion,
        agreement: versions.map((version, i) => ({ version, ...agreementOf(judged[i] ?? [], minJudged) })),
        suggestions: relaxSuggestions(judged[0] ?? [], minJudged),
        modeChanges: await modeChanges(name),
      };
    },

    /** Shadow → live, only on the current version's measured agreement; otherwise ConflictError with the numbers. */
    async promote(name: string, request?: unknown): Promise<ModeChange> {
      const trust = await service.status(name);
      if (trust.mode === 'live') throw new ConflictError(`workflow ${name} is live already`);
      const agreement = trust.agreement[0] ?? { judged: 0, agreed: 0, rate: 0 };
      const verdict = promotionVerdict(agreement, trust.promotion);
      if (!verdict.ok) {
        throw new ConflictError(`promotion of ${name} v${trust.version} refused: ${verdict.reason}`);
      }
      return setMode(name, 'live', request, agreement);
    },

    /** Live → shadow, at once: no numbers needed to take autonomy back. */
    async demote(name: string, request?: unknown): Promise<ModeChange> {
      const trust = await service.status(name);
      if (trust.mode === 'shadow') throw new ConflictError(`workflow ${name} is in shadow mode already`);
      return setMode(name, 'shadow', request);
    },
  };
  return service;
}
