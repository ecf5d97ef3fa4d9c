import * as z from 'zod';
import { lazySchema } from '../lazy-schema.ts';

/*
 * The ports triggers need. Kept beside the trigger services for now; they join functions/core/ports.ts
 * with the others when the composition root (issue 9) lands.
 */

/** Where a fire came from: the scheduler (EventBridge or the local one), or the operator's `aios schedules fire`. */
export const FireSourceSchema = z.enum(['schedule', 'manual']);

/**
 * One fire of a schedule, recorded before its run starts. Its id is (playbook, scheduledAt), and so
 * is its run's: a fire delivered again finds its record and its run, never a second one.
 */
export const ScheduleFireSchema = lazySchema(() =>
  z.object({
    playbook: z.string(),
    version: z.number().int(),
    /** ISO 8601 UTC, whole seconds: the time the schedule named, not when it was delivered. */
    scheduledAt: z.string(),
    runId: z.string(),
    source: FireSourceSchema,
    /** RECORDED: the run may or may not have started yet; the fire's next delivery or pass finishes it. */
    status: z.enum(['RECORDED', 'STARTED', 'SKIPPED', 'FAILED']),
    /** Why a fire started nothing (paused, its input refused). */
    reason: z.string().optional(),
    recordedAt: z.string(),
    settledAt: z.string().optional(),
  }),
);
export type ScheduleFire = z.infer<typeof ScheduleFireSchema>;

export const ScheduleStateSchema = lazySchema(() =>
  z.object({
    playbook: z.string(),
    paused: z.boolean(),
    /** When it was last paused or resumed. */
    changedAt: z.string().optional(),
    lastFire: ScheduleFireSchema.optional(),
  }),
);
export type ScheduleState = z.infer<typeof ScheduleStateSchema>;

/** The schedules' state and fire records: the state table on AWS and locally, a map in unit tests. */
export interface ScheduleStore {
  /** Not paused and never fired, when nothing is recorded. */
  state(playbook: string): Promise<ScheduleState>;
  setPaused(playbook: string, paused: boolean, at: Date): Promise<ScheduleState>;
  /** A conditional write: the first record of (playbook, scheduledAt) wins, and every caller gets the winner. */
  recordFire(fire: ScheduleFire): Promise<{ fire: ScheduleFire; created: boolean }>;
  /** Writes the fire's outcome, and makes it the schedule's last fire unless a later one is. */
  settleFire(fire: ScheduleFire): Promise<void>;
  getFire(playbook: string, scheduledAt: string): Promise<ScheduleFire | undefined>;
}

/**
 * How far the local scheduler has decided a schedule: every fire up to `through` was either
 * recorded in `pending` (to be started) or skipped. Written in one conditional write, so a crash
 * leaves either the old decision or the new one, never half of one.
 */
export const SchedulerCursorSchema = lazySchema(() =>
  z.object({
    through: z.string(),
    /** Fires decided on but perhaps not yet started, oldest first (ISO 8601). */
    pending: z.array(z.string()),
    /** Fires passed over by the catch-up policy in the last decision, and the latest of them. */
    skipped: z.object({ count: z.number().int().nonnegative(), latest: z.string() }).optional(),
  }),
);
export type SchedulerCursor = z.infer<typeof SchedulerCursorSchema>;

export interface SchedulerCursors {
  get(playbook: string): Promise<SchedulerCursor | undefined>;
  /** Conditional on the cursor still being at `expectedThrough` (absent: no cursor yet); otherwise ConflictError. */
  put(playbook: string, cursor: SchedulerCursor, expectedThrough: string | undefined): Promise<void>;
}

/** A webhook event already taken: which run its id started. */
export const WebhookEventSchema = lazySchema(() =>
  z.object({
    playbook: z.string(),
    eventId: z.string(),
    runId: z.string(),
    receivedAt: z.string(),
  }),
);
export type WebhookEvent = z.infer<typeof WebhookEventSchema>;

/** How long an event id is remembered: longer than any provider retries (Stripe: 3 days). */
export const WEBHOOK_EVENT_TTL_DAYS = 30;

export interface WebhookEvents {
  /** A conditional write: the first event with this id wins, and every caller gets the winner. */
  claim(event: WebhookEvent): Promise<{ event: WebhookEvent; created: boolean }>;
}

/** Each webhook playbook's signing secret: `.aios/hooks/<playbook>` locally, Secrets Manager on AWS. */
export interface WebhookSecrets {
  secretOf(playbook: string): Promise<string>;
}
