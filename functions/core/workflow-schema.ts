import * as z from 'zod';
import { InputSchemaSchema } from './input-schema.ts';
import { lazySchema } from './lazy-schema.ts';
import {
  ActionTypeSchema,
  BudgetSchema,
  DEFAULT_ESCALATION,
  EscalationSchema,
  ModelFailureSchema,
  ModelTierSchema,
  PlaybookStepSchema,
  PolicyRuleSchema,
  RunModeSchema,
  SlugSchema,
} from './schemas.ts';

/*
 * The playbook as an operator writes it. Apart from the run records in schemas.ts because only what
 * loads playbooks needs it: building these schemas is a measurable part of a Lambda's cold start
 * (bench section a). `WorkflowSchema` reads a stored version, which its push checked in full; the
 * push's own check (the schedule's expression and time zone, with the cron parser, 30 KiB of a
 * bundle) is `PlaybookSchema` in playbook-schema.ts, loaded only where playbooks are pushed.
 */

/** What a local scheduler does with the fires it missed while aios was down. */
export const CatchUpSchema = z.enum(['skip', 'latest', 'all']);
export type CatchUp = z.infer<typeof CatchUpSchema>;

/** A schedule trigger's fields; playbook-schema.ts adds the check of its expression and time zone. */
export const ScheduleTriggerSchema = lazySchema(() =>
  z.object({
    type: z.literal('schedule'),
    /** As EventBridge Scheduler takes it: `cron(0 9 ? * MON *)` or `rate(1 hour)`. */
    expression: z.string().min(1),
    /** IANA time zone the cron is read in. */
    timezone: z.string().min(1).default('UTC'),
    /** The run's input; `${AIOS_API_URL}` is filled in, then it is checked against the input schema. */
    input: z.record(z.string(), z.unknown()).default({}),
    /** Missed fires: none (`skip`), the most recent (`latest`), or up to `maxCatchUp` of them (`all`). */
    catchUp: CatchUpSchema.default('latest'),
    maxCatchUp: z.number().int().min(1).max(100).default(10),
  }),
);
export type ScheduleTrigger = z.infer<typeof ScheduleTriggerSchema>;

/** The triggers, with the schedule trigger's schema given (checked at a push, as stored when read). */
const triggerSchemaOf = (schedule: typeof ScheduleTriggerSchema) =>
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('manual') }),
    schedule,
    /** `POST /hooks/{playbook}` with a signed JSON event; the body's fields named by the input schema are the input. */
    z.object({ type: z.literal('webhook') }),
  ]);

/** A versioned playbook: the unit of recurring work an operator runs (`schedule`: see triggerSchemaOf). */
export const workflowSchemaOf = (schedule: typeof ScheduleTriggerSchema) =>
  z
    .object({
      name: SlugSchema,
      version: z.number().int().positive(),
      description: z.string().min(1),
      trigger: triggerSchemaOf(schedule).default({ type: 'manual' }),
      mode: RunModeSchema.default('live'),
      budget: BudgetSchema.default({ maxUsd: 1, maxModelCalls: 10 }),
      /** The input a run must be given, typed (a JSON Schema subset, see input-schema.ts). */
      inputSchema: InputSchemaSchema.optional(),
      /** Deprecated: names a run must be given, of any type. Use `inputSchema` with `required`. */
      inputRequired: z.array(z.string().min(1)).optional(),
      /** Either fixed steps the planner fills in, or a goal the model plans towards. */
      steps: z.array(PlaybookStepSchema).min(1).optional(),
      goal: z.string().min(1).optional(),
      /** Action types a plan may use; a plan naming any other fails before it runs. */
      allowedActions: z.array(ActionTypeSchema).min(1),
      policy: z.object({ rules: z.array(PolicyRuleSchema).default([]) }).default({ rules: [] }),
      /** How approvals of this workflow's steps are asked for and escalated. */
      approval: z
        .object({
          channels: z
            .array(z.enum(['slack', 'email']))
            .min(1)
            .default(['slack', 'email']),
          /** Per action type, the parameters an approver may edit before approving. */
          editable: z.record(z.string(), z.array(z.string())).default({}),
          escalation: EscalationSchema.default(DEFAULT_ESCALATION),
        })
        .optional(),
      /** When a run fails after effects, undo the effects that can be undone, newest first. */
      compensateOnFailure: z.boolean().default(false),
      /**
       * What a shadow workflow must show before `aios promote` makes it live: at least `minJudged`
       * judged proposals (shadow reviews and approvals), and agreement at least `minAgreement` over the last `minJudged`.
       */
      promotion: z
        .object({
          minJudged: z.number().int().min(1).max(1000).default(20),
          minAgreement: z.number().min(0).max(1).default(0.9),
        })
        .default({ minJudged: 20, minAgreement: 0.9 }),
      /** Model steps: the tier they use unless a step overrides it, and what a model that keeps failing means. */
      model: z
        .object({
          tier: ModelTierSchema.default('fast'),
          onModelFailure: ModelFailureSchema.default('handoff'),
        })
        .default({ tier: 'fast', onModelFailure: 'handoff' }),
      /** The operator's estimate of the manual work one successful run saves, for the time-saved metric. */
      minutesSavedPerRun: z.number().nonnegative().max(10_000).optional(),
    })
    .refine((w) => w.steps !== undefined || w.goal !== undefined, {
      message: 'a workflow needs steps or a goal',
      path: ['steps'],
    })
    .refine((w) => w.inputSchema === undefined || w.inputRequired === undefined, {
      message: 'declare the input once: inputSchema (with required), not also the deprecated inputRequired',
      path: ['inputRequired'],
    });

/** A stored playbook version, as its push checked it (PlaybookSchema); the cron parser is not loaded. */
export const WorkflowSchema = lazySchema(() => workflowSchemaOf(ScheduleTriggerSchema));
export type Workflow = z.infer<typeof WorkflowSchema>;
