import * as z from 'zod';
import { SlugSchema } from './ids.ts';
import { InputSchemaSchema } from './input-schema.ts';
import { lazySchema } from './lazy-schema.ts';

// Types only: the playbook's schema stays in its own module, so what never parses a playbook does
// not build it (nor load the cron parser its schedule check needs) at a cold start.
export type { CatchUp, ScheduleTrigger, Workflow } from './workflow-schema.ts';
// In ids.ts, so that memory's schemas have it without building every run record's schema.
export { SlugSchema };

export const ActionTypeSchema = z
  .string()
  .regex(/^[a-z]+(\.[a-z][a-zA-Z]*)+$/, 'must look like "connector.verb", e.g. "http.request"');

export const RunModeSchema = z.enum(['live', 'shadow']);
export type RunMode = z.infer<typeof RunModeSchema>;

/** Per workflow: how long an approval request waits before each escalation step. */
export const EscalationSchema = lazySchema(() =>
  z.object({
    /** A Slack reminder after this many minutes; 0 turns it off. */
    slackReminderAfterMinutes: z.number().nonnegative().default(15),
    /** An email (magic link) after this many minutes, if email was not a first channel; 0 turns it off. */
    emailAfterMinutes: z.number().nonnegative().default(60),
    /** Then, after this many hours, the request ends. */
    expireAfterHours: z.number().positive().default(24),
    /** What ending means: reject the step, or hand the run to the operator to finish by hand. */
    onExpiry: z.enum(['reject', 'hand-off']).default('reject'),
  }),
);
export type Escalation = z.infer<typeof EscalationSchema>;
export const DEFAULT_ESCALATION: Escalation = {
  slackReminderAfterMinutes: 15,
  emailAfterMinutes: 60,
  expireAfterHours: 24,
  onExpiry: 'reject',
};

export const BudgetSchema = lazySchema(() =>
  z.object({
    /** Hard ceiling on model spend for one run, in US dollars. */
    maxUsd: z.number().nonnegative().default(1),
    /** Hard ceiling on the number of model calls in one run. */
    maxModelCalls: z.number().int().nonnegative().default(10),
  }),
);
export type Budget = z.infer<typeof BudgetSchema>;

export const PolicyDecisionSchema = z.enum(['allow', 'needs-approval', 'deny']);
export type PolicyDecision = z.infer<typeof PolicyDecisionSchema>;

export const RiskSchema = z.enum(['read', 'write', 'external-message', 'money']);

export const PolicyRuleSchema = lazySchema(() =>
  z.object({
    action: ActionTypeSchema,
    decision: PolicyDecisionSchema,
    reason: z.string().min(1),
  }),
);

/** What the operator expects of a step's result; the monitor checks it. */
export const ExpectationSchema = lazySchema(() =>
  z.object({
    /** For http.request: the response status must be one of these. */
    status: z.array(z.number().int()).optional(),
  }),
);

export const ModelTierSchema = z.enum(['fast', 'slow']);

/** What a run does when a model step's model keeps failing, after its retries and the other tier. */
export const ModelFailureSchema = z.enum(['handoff', 'defer', 'fail']);

/** The action types of model steps: run by the model port inside the run, never through the gateway. */
export const MODEL_STEP_TYPES = ['model.draft', 'model.extract'] as const;
export const isModelStep = (actionType: string) =>
  (MODEL_STEP_TYPES as readonly string[]).includes(actionType);

/**
 * What a model step asks of the model. `prompt` may hold `{{input.x}}` and `{{steps.<id>.output.x}}`
 * templates; `source` (extract) names the unstructured text to read; `output` is the schema the
 * answer must fit (the same JSON Schema subset as a playbook's input).
 */
export const ModelStepSpecSchema = lazySchema(() =>
  z
    .object({
      prompt: z.string().min(1).max(8000),
      /** extract: the text to turn into fields, usually a template such as `{{input.email}}`. */
      source: z.string().min(1).max(200).optional(),
      output: InputSchemaSchema.optional(),
      /** Overrides the workflow's tier for this step. */
      tier: ModelTierSchema.optional(),
      /** Rules the slow tier's cross-check holds the draft to. */
      rules: z.array(z.string().min(1).max(500)).max(20).default([]),
      /** What to retrieve for the draft, from the run's customer's (or project's) memory and the operator's. */
      memory: z
        .object({
          kinds: z.array(SlugSchema).min(1).default(['draft-edit', 'draft']),
          /** Default: the step's own drafts and edits (`draft:<workflow>:<step>`); `[]` reads any subject. */
          subjects: z.array(z.string().min(1).max(200)).optional(),
          k: z.number().int().min(1).max(10).default(3),
        })
        .strict()
        .optional(),
      maxTokens: z.number().int().positive().max(8000).default(800),
    })
    .strict(),
);
export type ModelStepSpec = z.infer<typeof ModelStepSpecSchema>;

export const PlaybookStepSchema = lazySchema(() =>
  z
    .object({
      id: SlugSchema,
      title: z.string().min(1),
      action: ActionTypeSchema,
      /**
       * Parameters may hold `{{input.field}}` templates, filled in by the planner, and
       * `{{steps.<id>.output.field}}` templates, filled at execution time from an earlier step's output.
       */
      params: z.record(z.string(), z.unknown()).default({}),
      expect: ExpectationSchema.optional(),
      /** Model steps (`model.draft`, `model.extract`) only: what to ask the model. */
      model: ModelStepSpecSchema.optional(),
    })
    .refine((s) => isModelStep(s.action) === (s.model !== undefined), {
      message: 'a model step (model.draft, model.extract) needs `model`, and only a model step may have it',
      path: ['model'],
    }),
);
export type PlaybookStep = z.infer<typeof PlaybookStepSchema>;

export const ActionSchema = lazySchema(() =>
  z.object({
    type: ActionTypeSchema,
    params: z.record(z.string(), z.unknown()),
  }),
);
export type Action = z.infer<typeof ActionSchema>;

export const PlanStepSchema = lazySchema(() =>
  z.object({
    id: SlugSchema,
    title: z.string().min(1),
    action: ActionSchema,
    expect: ExpectationSchema.optional(),
    model: ModelStepSpecSchema.optional(),
  }),
);
export type PlanStep = z.infer<typeof PlanStepSchema>;

/** The most steps one run's plan holds, whether a model planned it or a playbook fixed it. */
export const MAX_PLAN_STEPS = 50;

/** What the model must return; anything else fails the run before a single step runs. */
export const ModelPlanSchema = lazySchema(() =>
  z.object({
    steps: z.array(PlanStepSchema).min(1).max(MAX_PLAN_STEPS),
  }),
);

export const PlanSchema = lazySchema(() =>
  ModelPlanSchema.extend({
    runId: z.string(),
    modelId: z.string(),
    createdAt: z.string(),
  }),
);
export type Plan = z.infer<typeof PlanSchema>;

/** CANCELLED: stopped by the operator (`aios cancel`); it is never retried or resumed. */
export const RunStatusSchema = z.enum(['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED']);
export type RunStatus = z.infer<typeof RunStatusSchema>;

export const RunSchema = lazySchema(() =>
  z.object({
    runId: z.string(),
    workflow: z.string(),
    workflowVersion: z.number().int(),
    /**
     * The operator policy version the run started under: every later step and approval reads that
     * one, so a push never changes a run in flight. Absent (runs from before): the newest.
     */
    policyVersion: z.number().int().positive().optional(),
    mode: RunModeSchema,
    status: RunStatusSchema,
    input: z.record(z.string(), z.unknown()),
    budget: BudgetSchema,
    spentUsd: z.number().nonnegative(),
    modelCalls: z.number().int().nonnegative(),
    createdAt: z.string(),
    updatedAt: z.string(),
    finishedAt: z.string().optional(),
    summary: z.string().optional(),
    /** A short human-readable account of what failed and why. */
    failure: z.object({ error: z.string(), cause: z.string(), account: z.string() }).optional(),
    /** The orchestrator execution that drives the run now; absent means the first, named after the run. */
    execution: z.string().optional(),
    /** Executions the run has had: 1, plus one per `aios retry`. */
    attempt: z.number().int().positive().optional(),
    /** Who cancelled the run, when and why, and the effects it had already made. */
    cancellation: z
      .object({
        by: z.string(),
        at: z.string(),
        reason: z.string(),
        effects: z.array(z.object({ stepIndex: z.number(), stepId: z.string(), actionType: z.string() })),
        /** The execution that undoes those effects, when the playbook says `compensateOnFailure`. */
        compensation: z.string().optional(),
      })
      .optional(),
    /** `aios rerun`: the run this one repeats (with the same or an edited input). */
    rerunOf: z.string().optional(),
  }),
);
export type Run = z.infer<typeof RunSchema>;

export const IntentStatusSchema = z.enum([
  'RECORDED',
  'DENIED',
  /** The policy wants the operator's approval before it runs. */
  'AWAITING_APPROVAL',
  'EXECUTING',
  'SUCCEEDED',
  'FAILED',
  /** Shadow mode: proposed and recorded, not executed. */
  'SHADOWED',
  /** An attempt may or may not have had its effect, and repeating it is not safe: the operator decides. */
  'OUTCOME_UNKNOWN',
  /** Undone by a compensating action after the run failed. */
  'COMPENSATED',
  /** A model step whose model kept failing: the operator writes its output (a handoff). */
  'AWAITING_HANDOFF',
]);
export type IntentStatus = z.infer<typeof IntentStatusSchema>;

export const ActionResultSchema = lazySchema(() =>
  z.object({
    ok: z.boolean(),
    /** Connector-specific output, e.g. the HTTP status and body, or the entity's new version. */
    output: z.record(z.string(), z.unknown()),
    durationMs: z.number().nonnegative(),
    /** 0 for a shadowed action: nothing was attempted. */
    attempts: z.number().int().nonnegative().optional(),
  }),
);
export type ActionResult = z.infer<typeof ActionResultSchema>;

export const IntentSchema = lazySchema(() =>
  z.object({
    runId: z.string(),
    stepIndex: z.number().int().nonnegative(),
    stepId: z.string(),
    title: z.string(),
    action: ActionSchema,
    idempotencyKey: z.string(),
    status: IntentStatusSchema,
    decision: PolicyDecisionSchema.optional(),
    reason: z.string().optional(),
    attempts: z.number().int().nonnegative(),
    result: ActionResultSchema.optional(),
    error: z.string().optional(),
    recordedAt: z.string(),
    startedAt: z.string().optional(),
    finishedAt: z.string().optional(),
    /** The gateway attempt that holds the EXECUTING claim; no other attempt may start the effect meanwhile. */
    leaseOwner: z.string().optional(),
    /** When that claim lapses (ISO 8601, UTC): the end of the attempt's invocation. */
    leaseExpiresAt: z.string().optional(),
    /** For a compensating intent: the step whose effect it undoes. */
    compensates: z.number().int().nonnegative().optional(),
    /** A model step's slow-tier cross-check: a failed one holds the next external action for approval. */
    check: z.object({ ok: z.boolean(), reason: z.string() }).optional(),
    /** An external action whose parameters were filled from model steps' outputs: which fields, from which step. */
    drafted: z.array(z.object({ param: z.string(), stepId: z.string(), text: z.string() })).optional(),
    /** A model step handed to the operator: what was gathered for it, so the operator can write the output. */
    handoff: z
      .object({
        prompt: z.string(),
        error: z.string(),
        memories: z.array(z.record(z.string(), z.unknown())),
        outputs: z.record(z.string(), z.unknown()),
      })
      .optional(),
  }),
);
export type Intent = z.infer<typeof IntentSchema>;

/** The message the orchestrator puts on the gateway queue (the SQS MessageBody). */
export const ActionMessageSchema = lazySchema(() =>
  z.object({
    taskToken: z.string().min(1),
    /** The capability grant the orchestrator minted for this step. */
    grant: z.string().min(1),
    runId: z.string().min(1),
    stepIndex: z.number().int().nonnegative(),
    idempotencyKey: z.string().min(1),
    action: ActionSchema,
  }),
);
export type ActionMessage = z.infer<typeof ActionMessageSchema>;

export const JournalEntrySchema = lazySchema(() =>
  z.object({
    runId: z.string(),
    at: z.string(),
    kind: z.enum([
      'run',
      'model',
      'retrieval',
      'plan',
      'intent',
      'decision',
      'effect',
      'monitor',
      'failure',
      'summary',
      'handoff',
    ]),
    message: z.string(),
    data: z.record(z.string(), z.unknown()).optional(),
  }),
);
export type JournalEntry = z.infer<typeof JournalEntrySchema>;

/** The operator's standing policy: a decision per risk, and rules that apply to every workflow. */
export const OperatorPolicySchema = lazySchema(() =>
  z.object({
    byRisk: z.object({
      read: PolicyDecisionSchema,
      write: PolicyDecisionSchema,
      'external-message': PolicyDecisionSchema,
      money: PolicyDecisionSchema,
    }),
    rules: z.array(PolicyRuleSchema).default([]),
    /** Who may approve: Slack user ids (allow-listed for the buttons) and email addresses (magic links). */
    approvers: z
      .object({
        slackUserIds: z
          .array(z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'must be a Slack user id like U0123ABC'))
          .default([]),
        emails: z.array(z.email()).default([]),
      })
      .default({ slackUserIds: [], emails: [] }),
  }),
);
export type OperatorPolicy = z.infer<typeof OperatorPolicySchema>;

/** One line of the audit log: every attempt at an action, whatever became of it. */
export const AuditOutcomeSchema = z.enum([
  'allowed',
  'denied',
  'needs-approval',
  'rejected',
  'executed',
  'replayed',
  'failed',
  'retrying',
  'throttled',
  'breaker-open',
  'outcome-unknown',
  'shadowed',
  'compensated',
  'approved',
  'rejected-by-approver',
  'approval-expired',
  /** The run was cancelled while the approval waited. */
  'withdrawn',
  /** A workflow's mode changed (runId `workflow-<name>`): promoted to live, demoted to shadow. */
  'promoted',
  'demoted',
]);
export type AuditOutcome = z.infer<typeof AuditOutcomeSchema>;

export const AuditEntrySchema = lazySchema(() =>
  z.object({
    runId: z.string(),
    stepIndex: z.number().int().nonnegative(),
    at: z.string(),
    outcome: AuditOutcomeSchema,
    actionType: z.string(),
    /** Who asked: the agent, and the grant it presented. */
    agent: z.string(),
    grantId: z.string().optional(),
    idempotencyKey: z.string().optional(),
    decision: PolicyDecisionSchema.optional(),
    reason: z.string(),
    result: z.record(z.string(), z.unknown()).optional(),
    durationMs: z.number().nonnegative().optional(),
    costUsd: z.number().nonnegative().optional(),
  }),
);
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

/** Canonical business entities (customers, projects, invoices), versioned. */
export const EntitySchema = lazySchema(() =>
  z.object({
    type: SlugSchema,
    id: z.string().min(1).max(128),
    version: z.number().int().positive(),
    data: z.record(z.string(), z.unknown()),
    updatedAt: z.string(),
    updatedBy: z.string(),
  }),
);
export type Entity = z.infer<typeof EntitySchema>;

export const StartRunRequestSchema = lazySchema(() =>
  z.object({
    workflow: SlugSchema,
    input: z.record(z.string(), z.unknown()).default({}),
    mode: RunModeSchema.optional(),
  }),
);
export type StartRunRequest = z.infer<typeof StartRunRequestSchema>;
