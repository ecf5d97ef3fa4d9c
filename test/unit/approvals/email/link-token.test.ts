import { describe, expect, it } from 'vitest';
import {
  createHmacLinkSigner,
  createLinkTokens,
  DEFAULT_LINK_TTL_MS,
  mintLinkToken,
  verifyLinkToken,
} from '../../../../functions/approvals/email/link-token.ts';
import { createHmacGrantSigner } from '../../../../functions/core/capability.ts';

const NOW = new Date('2026-11-25T10:00:00.000Z');
const KEY = 'link-key-0123456789abcdef0123456789abcdef';
const signer = createHmacLinkSigner(async () => KEY);
const subject = { approvalId: 'apr-0001', approver: 'owner@studio.example' };

const decode = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
const encode = (claims: Record<string, unknown>) => Buffer.from(JSON.stringify(claims)).toString('base64url');

describe('magic-link tokens', () => {
  it('verifies a fresh token and returns its claims, bound to one approval and one approver', async () => {
    const { token, claims } = await mintLinkToken(signer, subject, NOW);

    const check = await verifyLinkToken(signer, token, { approvalId: 'apr-0001' }, NOW);

    expect(check).toEqual({ ok: true, claims });
    expect(claims).toMatchObject({ v: 1, approvalId: 'apr-0001', approver: 'owner@studio.example' });
    expect(claims.exp).toBe(NOW.getTime() + DEFAULT_LINK_TTL_MS);
    expect(DEFAULT_LINK_TTL_MS).toBe(60 * 60 * 1000);
  });

  it('gives every token its own nonce', async () => {
    const a = await mintLinkToken(signer, subject, NOW);
    const b = await mintLinkToken(signer, subject, NOW);
    expect(a.claims.nonce).not.toBe(b.claims.nonce);
  });

  it('refuses a tampered payload (another approver, same signature)', async () => {
    const { token } = await mintLinkToken(signer, subject, NOW);
    const signature = token.split('.')[1];
    const forged = `${encode({ ...decode(token), approver: 'attacker@evil.example' })}.${signature}`;

    expect(await verifyLinkToken(signer, forged, { approvalId: 'apr-0001' }, NOW)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('refuses a tampered signature', async () => {
    const { token } = await mintLinkToken(signer, subject, NOW);
    const [body, signature = ''] = token.split('.');
    const flipped = signature.startsWith('A') ? 'B' : 'A';
    const tampered = `${body}.${flipped}${signature.slice(1)}`;

    const check = await verifyLinkToken(signer, tampered, { approvalId: 'apr-0001' }, NOW);

    expect(check).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('refuses an expired token at its expiry and after', async () => {
    const { token, claims } = await mintLinkToken(signer, subject, NOW, 60_000);
    const justBefore = new Date(claims.exp - 1);
    const atExpiry = new Date(claims.exp);

    expect((await verifyLinkToken(signer, token, { approvalId: 'apr-0001' }, justBefore)).ok).toBe(true);
    expect(await verifyLinkToken(signer, token, { approvalId: 'apr-0001' }, atExpiry)).toEqual({
      ok: false,
      reason: 'expired',
      claims,
    });
  });

  it('refuses the token of another approval', async () => {
    const { token } = await mintLinkToken(signer, subject, NOW);

    const check = await verifyLinkToken(signer, token, { approvalId: 'apr-0002' }, NOW);

    expect(check).toMatchObject({ ok: false, reason: 'wrong-approval' });
  });

  it('refuses a token signed with another key', async () => {
    const other = createHmacLinkSigner(async () => 'another-key-fedcba9876543210');
    const { token } = await mintLinkToken(other, subject, NOW);

    expect(await verifyLinkToken(signer, token, { approvalId: 'apr-0001' }, NOW)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('refuses a value signed for another purpose with the same key (a capability grant)', async () => {
    const grants = createHmacGrantSigner(async () => KEY);
    const body = encode({ v: 1, ...subject, exp: NOW.getTime() + 60_000, nonce: 'n'.repeat(24) });
    const token = `${body}.${await grants.sign(body)}`;

    expect(await verifyLinkToken(signer, token, { approvalId: 'apr-0001' }, NOW)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it.each([
    ['empty', ''],
    ['no signature', 'abc'],
    ['three parts', 'a.b.c'],
    ['not base64url', 'a b.c'],
    ['far too long', `${'a'.repeat(3000)}.b`],
  ])('calls a %s token malformed', async (_name, token) => {
    expect(await verifyLinkToken(signer, token, { approvalId: 'apr-0001' }, NOW)).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  it('calls a well-signed payload that is not a link malformed', async () => {
    const body = encode({ v: 2, hello: 'world' });
    const token = `${body}.${await signer.sign(body)}`;

    expect(await verifyLinkToken(signer, token, { approvalId: 'apr-0001' }, NOW)).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  it('fetches the key lazily, once', async () => {
    let fetched = 0;
    const tokens = createLinkTokens({
      getKey: async () => {
        fetched++;
        return KEY;
      },
      clock: { now: () => NOW },
    });
    expect(fetched).toBe(0);

    const { token } = await tokens.mint('apr-0001', 'owner@studio.example');
    const check = await tokens.verify(token, 'apr-0001');

    expect(check.ok).toBe(true);
    expect(fetched).toBe(1);
  });

  it('refuses to mint for something that is not an email address', async () => {
    await expect(
      mintLinkToken(signer, { approvalId: 'apr-0001', approver: 'U0123ABC' }, NOW),
    ).rejects.toThrow();
  });
});
