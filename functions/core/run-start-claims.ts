import { createHash } from 'node:crypto';
import * as z from 'zod';
import { lazySchema } from './lazy-schema.ts';
import { RunSchema, type StartRunRequest } from './schemas.ts';

/** How long a client's `Idempotency-Key` on `POST /runs` keeps meaning the run it started. */
export const IDEMPOTENCY_KEY_TTL_HOURS = 24;

/** Printable ASCII, as in the IETF Idempotency-Key draft's examples (UUIDs, ULIDs, random strings). */
export const IdempotencyKeySchema = z
  .string()
  .min(1, { error: 'must not be empty' })
  .max(255, { error: 'must be at most 255 characters' })
  .regex(/^[\x20-\x7e]+$/, { error: 'must be printable ASCII characters only' });

/**
 * Which run a client's idempotency key started. It holds the whole run record, written before the
 * run itself: whoever finds the claim (the first request, or its retry after a crash) writes the
 * same run and starts the same execution, so a key never starts two runs and never strands one.
 */
export const RunStartClaimSchema = lazySchema(() =>
  z.object({
    key: IdempotencyKeySchema,
    /** The request's fingerprint: the same key with a different request is refused. */
    requestHash: z.string().min(1),
    run: RunSchema,
    claimedAt: z.string(),
    expiresAt: z.string(),
  }),
);
export type RunStartClaim = z.infer<typeof RunStartClaimSchema>;

/*
 * Why not Powertools idempotency (which the gateway uses): it records a handler's result once the
 * handler returns. A crash inside leaves an IN_PROGRESS record; once that expires, the retry runs
 * the whole handler again and mints a new run id, a second run. Starting a run is three writes
 * (claim, run record, execution); what a retry needs is the run id fixed before the first of them,
 * and each step safe to repeat, so the retry finishes the same run instead of replaying a result.
 */

export type { RunStartClaims } from './ports.ts';

/** JSON with keys sorted at every level, so the same request hashes the same whatever its key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function requestHashOf(request: StartRunRequest): string {
  return createHash('sha256')
    .update(canonicalJson({ workflow: request.workflow, input: request.input, mode: request.mode }))
    .digest('hex');
}
