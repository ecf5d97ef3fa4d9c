import * as z from 'zod';
import { lazySchema } from '../lazy-schema.ts';
import { ActionSchema, PolicyDecisionSchema } from '../schemas.ts';

export const ReplayModelSchema = z.enum(['recorded', 'current']);
export type ReplayModel = z.infer<typeof ReplayModelSchema>;

/** `POST /runs/{id}/replay`: which playbook version, and whose model answers. */
export const ReplayRequestSchema = lazySchema(() =>
  z
    .object({
      /** The version to replay on; the run's own version by default. */
      playbookVersion: z.number().int().positive().optional(),
      /** `recorded` (the default) reuses the run's model answers and retrievals; `current` asks again. */
      model: ReplayModelSchema.default('recorded'),
    })
    .strict(),
);
export type ReplayRequest = z.input<typeof ReplayRequestSchema>;

/** A write to canonical state an effect would make, read against the snapshot. */
export const StateWriteSchema = lazySchema(() =>
  z.object({
    entityType: z.string(),
    entityId: z.string(),
    /** The version the snapshot holds (0: the entity did not exist when the run started). */
    fromVersion: z.number().int().nonnegative(),
    toVersion: z.number().int().positive(),
    data: z.record(z.string(), z.unknown()),
  }),
);
export type StateWrite = z.infer<typeof StateWriteSchema>;

/**
 * An effect on the world (or canonical state) a step makes: the action the gateway would get,
 * when (now, after an approval, or only proposed in shadow mode), and the recorded result when
 * the run made exactly this effect.
 */
export const ReplayEffectSchema = lazySchema(() =>
  ActionSchema.extend({
    when: z.enum(['now', 'after-approval', 'shadowed']),
    result: z.record(z.string(), z.unknown()).optional(),
    writes: StateWriteSchema.optional(),
  }),
);
export type ReplayEffect = z.infer<typeof ReplayEffectSchema>;

/** What one step did (the original run) or would do (the replay). */
export const StepOutcomeSchema = lazySchema(() =>
  z.object({
    stepIndex: z.number().int().nonnegative(),
    action: ActionSchema,
    decision: PolicyDecisionSchema.optional(),
    reason: z.string().optional(),
    approvalNeeded: z.boolean(),
    effect: ReplayEffectSchema.nullable(),
    costUsd: z.number().nonnegative(),
    /** A model step's output. */
    output: z.record(z.string(), z.unknown()).optional(),
    /** Why the step could not be replayed in full (an output not recorded, a parameter that does not fit). */
    note: z.string().optional(),
  }),
);
export type StepOutcome = z.infer<typeof StepOutcomeSchema>;

export const DifferenceFieldSchema = z.enum(['plan', 'policy', 'approval', 'effect', 'cost', 'output']);
export type DifferenceField = z.infer<typeof DifferenceFieldSchema>;

export const StepDifferenceSchema = lazySchema(() =>
  z.object({
    field: DifferenceFieldSchema,
    original: z.unknown(),
    replay: z.unknown(),
  }),
);
export type StepDifference = z.infer<typeof StepDifferenceSchema>;

export const ReplayStepSchema = lazySchema(() =>
  z.object({
    stepId: z.string(),
    title: z.string(),
    /** How the replay's plan has the step against the original plan. */
    plan: z.enum(['same', 'changed', 'added', 'removed']),
    original: StepOutcomeSchema.optional(),
    replay: StepOutcomeSchema.optional(),
    differences: z.array(StepDifferenceSchema),
  }),
);
export type ReplayStep = z.infer<typeof ReplayStepSchema>;

/** A replay as stored, linked to its run (`GET /runs/{id}/replays`). */
export const ReplayRecordSchema = lazySchema(() =>
  z.object({
    replayId: z.string(),
    runId: z.string(),
    workflow: z.string(),
    originalVersion: z.number().int(),
    playbookVersion: z.number().int(),
    model: ReplayModelSchema,
    /** Canonical state was read as it stood at this time: the run's start. */
    snapshotAt: z.string(),
    createdAt: z.string(),
    by: z.string(),
    steps: z.array(ReplayStepSchema),
    /** Planning a goal asks the model: what that cost, and whether the plan came out the same. */
    planning: z.object({ originalUsd: z.number(), replayUsd: z.number(), note: z.string().optional() }),
    /** How many differences in all, over every step (and the planning cost). */
    differences: z.number().int().nonnegative(),
    /** The effects the replay would make (none was made). */
    effects: z.array(ReplayEffectSchema.extend({ stepId: z.string() })),
    /** Every entity read from the snapshot, at the version read (0: absent then). */
    reads: z.array(z.object({ entityType: z.string(), entityId: z.string(), version: z.number().int() })),
    cost: z.object({ originalUsd: z.number(), replayUsd: z.number() }),
  }),
);
export type ReplayRecord = z.infer<typeof ReplayRecordSchema>;

/** Where replays are kept: beside their run, out of reach of the public handlers (a REPLAY# partition). */
export interface ReplayStore {
  /** Writes the replay once; its id is new each time. */
  saveReplay(record: ReplayRecord): Promise<void>;
  /** The run's replays, oldest first. */
  listReplays(runId: string): Promise<ReplayRecord[]>;
}
