import * as z from 'zod';
import { lazySchema } from '../lazy-schema.ts';

/** WITHDRAWN: its run was cancelled while it waited; it can no longer be completed. */
export const HandoffStatusSchema = z.enum(['PENDING', 'COMPLETED', 'WITHDRAWN']);

/**
 * A model step handed to the operator: everything gathered for it, so a person can write what the
 * model could not. One per paused step; the run waits on it as on an approval.
 */
export const HandoffSchema = lazySchema(() =>
  z.object({
    handoffId: z.string(),
    runId: z.string(),
    stepIndex: z.number().int().nonnegative(),
    stepId: z.string(),
    title: z.string(),
    workflow: z.string(),
    /** `model.draft` (the operator writes text) or `model.extract` (the operator writes the fields as JSON). */
    kind: z.string(),
    status: HandoffStatusSchema,
    createdAt: z.string(),
    input: z.record(z.string(), z.unknown()),
    /** Earlier steps' outputs, by step id. */
    outputs: z.record(z.string(), z.unknown()),
    /** What retrieval found for the step, with scores and origins. */
    memories: z.array(z.record(z.string(), z.unknown())),
    prompt: z.string(),
    error: z.string(),
    /** The output the operator wrote, and who, once completed. */
    completion: z
      .object({ by: z.string(), at: z.string(), output: z.record(z.string(), z.unknown()) })
      .optional(),
  }),
);
export type Handoff = z.infer<typeof HandoffSchema>;

export const handoffIdFor = (runId: string, stepIndex: number) => `${runId}-h${stepIndex}`;

/** What the operator sends to complete a handoff: the text of a draft, or the fields of an extraction as JSON text. */
export const CompleteHandoffRequestSchema = lazySchema(() =>
  z
    .object({
      text: z.string().trim().min(1, 'must not be empty').max(20_000),
      by: z.string().min(1).max(200).default('operator'),
    })
    .strict(),
);
export type CompleteHandoffRequest = z.input<typeof CompleteHandoffRequestSchema>;
