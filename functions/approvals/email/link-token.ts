import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { createHmacSigner, type HmacSigner } from '../../core/hmac.ts';
import { lazySchema } from '../../core/lazy-schema.ts';
import type { Clock } from '../../core/ports.ts';

/**
 * What a magic link carries: one approval, one approver, an expiry and a nonce that makes it single
 * use. The task token of the paused run is never in it; it stays on the server.
 */
export const LinkClaimsSchema = lazySchema(() =>
  z.object({
    v: z.literal(1),
    approvalId: z.string().min(1),
    /** The email address the link was sent to; it is who decides when the link is used. */
    approver: z.email(),
    /** Expiry, epoch milliseconds. */
    exp: z.number().int().positive(),
    nonce: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/),
  }),
);
export type LinkClaims = z.infer<typeof LinkClaimsSchema>;

export const DEFAULT_LINK_TTL_MS = 60 * 60 * 1000;

/** Longer than any token aios mints; a longer one is refused before any work is done on it. */
const MAX_TOKEN_LENGTH = 2048;

/*
 * The MAC covers a purpose prefix as well as the payload, so a value signed for another purpose
 * (a capability grant, should the two ever share a key) never verifies as a link.
 */
const PURPOSE = 'aios-approval-link.v1.';

/** Signs and checks link payloads; the key is in Secrets Manager on AWS and in .aios/ locally. */
export type LinkTokenSigner = HmacSigner;

export function createHmacLinkSigner(getKey: () => Promise<string>): LinkTokenSigner {
  return createHmacSigner(getKey, PURPOSE);
}

/** Mints a link token `<base64url payload>.<base64url HMAC>` for one approval and one approver. */
export async function mintLinkToken(
  signer: LinkTokenSigner,
  subject: { approvalId: string; approver: string },
  now: Date,
  ttlMs = DEFAULT_LINK_TTL_MS,
): Promise<{ token: string; claims: LinkClaims }> {
  const claims = LinkClaimsSchema.parse({
    v: 1,
    approvalId: subject.approvalId,
    approver: subject.approver,
    exp: now.getTime() + ttlMs,
    nonce: randomBytes(18).toString('base64url'),
  });
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return { token: `${body}.${await signer.sign(body)}`, claims };
}

export type LinkTokenFailure = 'malformed' | 'bad-signature' | 'expired' | 'wrong-approval';

/** On `expired` and `wrong-approval` the signature was good, so the claims can be shown. */
export type LinkTokenCheck =
  | { ok: true; claims: LinkClaims }
  | { ok: false; reason: LinkTokenFailure; claims?: LinkClaims };

/** Checks shape, signature (constant time), binding to this approval, and expiry, in that order. */
export async function verifyLinkToken(
  signer: LinkTokenSigner,
  token: string,
  expected: { approvalId: string },
  now: Date,
): Promise<LinkTokenCheck> {
  if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'malformed' };
  const [body, signature, extra] = token.split('.');
  if (!body || !signature || extra !== undefined || !/^[A-Za-z0-9_-]+$/.test(body)) {
    return { ok: false, reason: 'malformed' };
  }
  if (!(await signer.verify(body, signature))) return { ok: false, reason: 'bad-signature' };
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const parsed = LinkClaimsSchema.safeParse(payload);
  if (!parsed.success) return { ok: false, reason: 'malformed' };
  const claims = parsed.data;
  if (claims.approvalId !== expected.approvalId) return { ok: false, reason: 'wrong-approval', claims };
  if (claims.exp <= now.getTime()) return { ok: false, reason: 'expired', claims };
  return { ok: true, claims };
}

export type { LinkTokenUses } from '../../core/ports.ts';

/** Mint and verify bound to one key and clock: what the notifier and the link handler are given. */
export interface LinkTokens {
  mint(approvalId: string, approver: string): Promise<{ token: string; claims: LinkClaims }>;
  verify(token: string, approvalId: string): Promise<LinkTokenCheck>;
}

export function createLinkTokens(options: {
  getKey: () => Promise<string>;
  clock: Clock;
  ttlMs?: number;
}): LinkTokens {
  const signer = createHmacLinkSigner(options.getKey);
  return {
    mint: (approvalId, approver) =>
      mintLinkToken(signer, { approvalId, approver }, options.clock.now(), options.ttlMs),
    verify: (token, approvalId) => verifyLinkToken(signer, token, { approvalId }, options.clock.now()),
  };
}
