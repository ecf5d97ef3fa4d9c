import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { createHmacSigner, type HmacSigner } from './hmac.ts';
import { lazySchema } from './lazy-schema.ts';
import { ActionTypeSchema } from './schemas.ts';

/**
 * A capability grant: what one agent step may ask the gateway to do. The orchestrator mints it
 * from the recorded plan and the workflow's allow-list, never from model output, so a model
 * cannot widen it; the gateway checks every action against it.
 */
export const GrantSchema = lazySchema(() =>
  z.object({
    v: z.literal(1),
    id: z.string().min(1),
    agent: z.string().min(1),
    workflow: z.string().min(1),
    runId: z.string().min(1),
    stepIndex: z.number().int().nonnegative(),
    actions: z.array(ActionTypeSchema).min(1),
    /** Expiry, epoch milliseconds. */
    exp: z.number().int().positive(),
  }),
);
export type Grant = z.infer<typeof GrantSchema>;

/** Signs and checks grants; the key lives in Secrets Manager on AWS and in .aios/ locally. */
export type GrantSigner = HmacSigner;

export function createHmacGrantSigner(getKey: () => Promise<string>): GrantSigner {
  return createHmacSigner(getKey, 'aios-capability-grant.v1.');
}

export const DEFAULT_GRANT_TTL_MS = 60 * 60 * 1000;

export async function mintGrant(
  signer: GrantSigner,
  claims: Omit<Grant, 'v' | 'id' | 'exp'>,
  now: Date,
  ttlMs = DEFAULT_GRANT_TTL_MS,
): Promise<string> {
  const grant: Grant = {
    v: 1,
    id: randomBytes(9).toString('base64url'),
    exp: now.getTime() + ttlMs,
    ...claims,
  };
  const body = Buffer.from(JSON.stringify(grant)).toString('base64url');
  return `${body}.${await signer.sign(body)}`;
}

export type GrantCheck = { ok: true; grant: Grant } | { ok: false; reason: string; grant?: Grant };

/** Checks signature, expiry and scope: this run, this step, this action type. */
export async function verifyGrant(
  signer: GrantSigner,
  token: string,
  expected: { runId: string; stepIndex: number; actionType: string },
  now: Date,
): Promise<GrantCheck> {
  const [body, signature, extra] = token.split('.');
  if (!body || !signature || extra !== undefined)
    return { ok: false, reason: 'the capability grant is malformed' };
  if (!(await signer.verify(body, signature)))
    return { ok: false, reason: 'the capability grant signature is not valid' };
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'the capability grant is malformed' };
  }
  const parsed = GrantSchema.safeParse(claims);
  if (!parsed.success) return { ok: false, reason: 'the capability grant has unexpected claims' };
  const grant = parsed.data;
  if (grant.exp <= now.getTime()) {
    return {
      ok: false,
      grant,
      reason: `the capability grant ${grant.id} expired at ${new Date(grant.exp).toISOString()}`,
    };
  }
  if (grant.runId !== expected.runId || grant.stepIndex !== expected.stepIndex) {
    return {
      ok: false,
      grant,
      reason: `the capability grant ${grant.id} is for run ${grant.runId} step ${grant.stepIndex}, not run ${expected.runId} step ${expected.stepIndex}`,
    };
  }
  if (!grant.actions.includes(expected.actionType)) {
    return {
      ok: false,
      grant,
      reason: `the capability grant ${grant.id} covers ${grant.actions.join(', ')}, not ${expected.actionType}`,
    };
  }
  return { ok: true, grant };
}
