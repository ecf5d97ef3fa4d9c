import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  headerValue,
  signSlackRequest,
  verifySlackSignature,
} from '../../../../functions/approvals/slack/signature.ts';
import { SIGNING_SECRET } from './fixtures.ts';

const NOW = new Date('2026-11-25T10:00:00.000Z');
const nowSeconds = Math.floor(NOW.getTime() / 1000);
const body = `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', user: { id: 'U0APPROVER' } }))}`;

/** Slack's own recipe, written out independently of signSlackRequest. */
const slackSignature = (timestamp: number | string, raw: string, secret = SIGNING_SECRET) =>
  `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${raw}`).digest('hex')}`;

const headers = (timestamp: number | string, signature: string) => ({
  'X-Slack-Request-Timestamp': String(timestamp),
  'X-Slack-Signature': signature,
});

const verify = (h: Record<string, string | undefined> | null, raw: string | Buffer = body) =>
  verifySlackSignature({ headers: h, rawBody: raw, signingSecret: SIGNING_SECRET, now: NOW });

describe('Slack request signatures (v0)', () => {
  it('accepts a request signed with the signing secret over v0:{timestamp}:{raw body}', () => {
    const result = verify(headers(nowSeconds, slackSignature(nowSeconds, body)));
    expect(result).toEqual({ ok: true, timestamp: nowSeconds });
    expect(signSlackRequest(SIGNING_SECRET, nowSeconds, body)).toBe(slackSignature(nowSeconds, body));
  });

  it('verifies over the raw bytes, and finds the headers whatever their casing', () => {
    const raw = Buffer.from(body, 'utf8');
    const result = verify(
      {
        'x-slack-request-timestamp': String(nowSeconds),
        'X-SLACK-SIGNATURE': slackSignature(nowSeconds, body),
      },
      raw,
    );
    expect(result.ok).toBe(true);
    expect(headerValue({ 'X-Slack-Retry-Num': '1' }, 'x-slack-retry-num')).toBe('1');
  });

  it('refuses a forged signature: another secret, or a body changed after signing', () => {
    const forged = verify(headers(nowSeconds, slackSignature(nowSeconds, body, 'not-the-secret')));
    expect(forged).toMatchObject({ ok: false, reason: 'signature-mismatch' });
    const tampered = verify(headers(nowSeconds, slackSignature(nowSeconds, body)), `${body}&extra=1`);
    expect(tampered).toMatchObject({ ok: false, reason: 'signature-mismatch' });
  });

  it('refuses a signature made for another timestamp (a replay with a fresh timestamp)', () => {
    const result = verify(headers(nowSeconds, slackSignature(nowSeconds - 60, body)));
    expect(result).toMatchObject({ ok: false, reason: 'signature-mismatch' });
  });

  it('refuses a timestamp 301 s old or 301 s ahead, correctly signed; accepts 299 s and exactly 300 s', () => {
    for (const offset of [-301, 301, -3600]) {
      const ts = nowSeconds + offset;
      expect(verify(headers(ts, slackSignature(ts, body)))).toMatchObject({
        ok: false,
        reason: 'stale-timestamp',
      });
    }
    for (const offset of [-299, 299, -300, 300]) {
      const ts = nowSeconds + offset;
      expect(verify(headers(ts, slackSignature(ts, body))).ok).toBe(true);
    }
  });

  it('refuses missing headers, without throwing', () => {
    const signature = slackSignature(nowSeconds, body);
    expect(verify(null)).toMatchObject({ ok: false, reason: 'missing-timestamp' });
    expect(verify({ 'X-Slack-Signature': signature })).toMatchObject({
      ok: false,
      reason: 'missing-timestamp',
    });
    expect(verify({ 'X-Slack-Request-Timestamp': String(nowSeconds) })).toMatchObject({
      ok: false,
      reason: 'missing-signature',
    });
    expect(verify(headers(nowSeconds, ''))).toMatchObject({ ok: false, reason: 'missing-signature' });
  });

  it.each([
    ['a timestamp that is not a number', 'yesterday', 'malformed-timestamp'],
    ['a timestamp in milliseconds with a fraction', '1795600000.5', 'malformed-timestamp'],
    ['a negative timestamp', '-1', 'malformed-timestamp'],
  ])('refuses %s', (_what, timestamp, reason) => {
    expect(verify(headers(timestamp, slackSignature(timestamp, body)))).toMatchObject({ ok: false, reason });
  });

  it.each([
    ['no version prefix', slackSignature(nowSeconds, body).slice(3)],
    ['another version', slackSignature(nowSeconds, body).replace('v0=', 'v1=')],
    ['a short digest (would make timingSafeEqual throw)', slackSignature(nowSeconds, body).slice(0, 40)],
    ['a long digest', `${slackSignature(nowSeconds, body)}00`],
    ['non-hex characters', `v0=${'z'.repeat(64)}`],
  ])('refuses a garbled signature: %s', (_what, signature) => {
    expect(verify(headers(nowSeconds, signature))).toMatchObject({
      ok: false,
      reason: 'malformed-signature',
    });
  });

  it('refuses everything when no signing secret is configured, and never echoes the secret', () => {
    const result = verifySlackSignature({
      headers: headers(nowSeconds, slackSignature(nowSeconds, body, '')),
      rawBody: body,
      signingSecret: '',
      now: NOW,
    });
    expect(result).toMatchObject({ ok: false, reason: 'missing-secret' });
    const mismatch = verify(headers(nowSeconds, slackSignature(nowSeconds, body, 'x')));
    expect(JSON.stringify(mismatch)).not.toContain(SIGNING_SECRET);
  });
});
