import * as z from 'zod';
import { lazySchema } from '../lazy-schema.ts';
import { ActionSchema } from '../schemas.ts';

/**
 * What the operator says of one proposed external action: as they would do it (`agree`), with a
 * change (`change`, the change kept), or not at all (`reject`).
 */
export const VerdictSchema = z.enum(['agree', 'change', 'reject']);
export type Verdict = z.infer<typeof VerdictSchema>;

/** One judged proposal: from a shadow run's review, or an approval of a live run. */
export const JudgementSchema = lazySchema(() =>
  z.object({
    workflow: z.string(),
    workflowVersion: z.number().int(),
    runId: z.string(),
    stepIndex: z.number().int().nonnegative(),
    actionType: z.string(),
    source: z.enum(['shadow-review', 'approval']),
    verdict: VerdictSchema,
    /** For `change`: the parameters as the operator would have them. */
    change: z.record(z.string(), z.unknown()).optional(),
    note: z.string().optional(),
    by: z.string(),
    at: z.string(),
  }),
);
export type Judgement = z.infer<typeof JudgementSchema>;

/** A shadow run's proposed external action, waiting for the operator's verdict. */
export const ReviewItemSchema = lazySchema(() =>
  z.object({
    reviewId: z.string(),
    runId: z.string(),
    stepIndex: z.number().int().nonnegative(),
    stepId: z.string(),
    title: z.string(),
    workflow: z.string(),
    workflowVersion: z.number().int(),
    /** What the shadow run would have done. */
    action: ActionSchema,
    status: z.enum(['PENDING', 'JUDGED']),
    createdAt: z.string(),
    judgement: JudgementSchema.optional(),
  }),
);
export type ReviewItem = z.infer<typeof ReviewItemSchema>;

export const reviewIdFor = (runId: string, stepIndex: number) => `${runId}-r${stepIndex}`;

/** What the operator sends to judge a review item. */
export const JudgeRequestSchema = lazySchema(() =>
  z
    .object({
      verdict: VerdictSchema,
      change: z.record(z.string(), z.unknown()).optional(),
      note: z.string().max(2000).optional(),
      by: z.string().min(1).max(200).default('operator'),
    })
    .strict()
    .refine(
      (r) => (r.verdict === 'change') === (r.change !== undefined && Object.keys(r.change).length > 0),
      {
        message:
          'a "change" verdict needs the change (the parameters as you would have them), and only it may have one',
        path: ['change'],
      },
    ),
);
export type JudgeRequest = z.input<typeof JudgeRequestSchema>;

export const ModeChangeRequestSchema = lazySchema(() =>
  z
    .object({
      why: z.string().min(1).max(2000).optional(),
      by: z.string().min(1).max(200).default('operator'),
    })
    .strict(),
);
