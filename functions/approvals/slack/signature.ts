import { createHmac, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';

/** Slack's window: a request signed more than five minutes from now, either way, is refused (replay). */
export const SLACK_SIGNATURE_WINDOW_SECONDS = 300;

export type SlackSignatureFailure =
  | 'missing-secret'
  | 'missing-timestamp'
  | 'missing-signature'
  | 'malformed-timestamp'
  | 'malformed-signature'
  | 'stale-timestamp'
  | 'signature-mismatch';

export type SlackSignatureResult =
  | { ok: true; timestamp: number }
  | { ok: false; reason: SlackSignatureFailure; message: string };

/** Header maps as API Gateway passes them: any casing, values possibly absent. */
export type HeaderMap = Readonly<Record<string, string | undefined>> | null | undefined;

export interface VerifySlackSignatureInput {
  headers: HeaderMap;
  /** The body exactly as received: the signature covers the bytes, not a re-encoding of them. */
  rawBody: string | Buffer;
  signingSecret: string;
  now: Date;
}

const TimestampSchema = z.string().regex(/^\d{1,12}$/, 'must be whole seconds since the epoch');
const SignatureSchema = z
  .string()
  .regex(/^v0=[0-9a-fA-F]{64}$/, 'must be v0= followed by 64 hex characters (HMAC-SHA256)');

/** A header's value whatever its casing; API Gateway keeps the client's casing. */
export function headerValue(headers: HeaderMap, name: string): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}

/** `v0=<hex HMAC-SHA256 of "v0:{timestamp}:{body}">`, as Slack signs a request. */
export function signSlackRequest(
  signingSecret: string,
  timestamp: number | string,
  rawBody: string | Buffer,
) {
  const hmac = createHmac('sha256', signingSecret);
  hmac.update(`v0:${timestamp}:`);
  hmac.update(rawBody);
  return `v0=${hmac.digest('hex')}`;
}

const fail = (reason: SlackSignatureFailure, message: string): SlackSignatureResult => ({
  ok: false,
  reason,
  message,
});

/**
 * Checks a request came from Slack (signing version v0): the timestamp within 300 seconds of now
 * and the signature equal, in constant time, to the HMAC of the body under the signing secret.
 * Never throws on bad input; the result says why a request was refused (and never echoes the secret).
 */
export function verifySlackSignature(input: VerifySlackSignatureInput): SlackSignatureResult {
  if (!input.signingSecret) return fail('missing-secret', 'the Slack signing secret is not configured');
  const rawTimestamp = headerValue(input.headers, 'x-slack-request-timestamp');
  const rawSignature = headerValue(input.headers, 'x-slack-signature');
  if (rawTimestamp === undefined || rawTimestamp === '') {
    return fail('missing-timestamp', 'the X-Slack-Request-Timestamp header is missing');
  }
  if (rawSignature === undefined || rawSignature === '') {
    return fail('missing-signature', 'the X-Slack-Signature header is missing');
  }
  const timestamp = TimestampSchema.safeParse(rawTimestamp.trim());
  if (!timestamp.success) {
    return fail('malformed-timestamp', 'the X-Slack-Request-Timestamp header must be whole seconds');
  }
  const signature = SignatureSchema.safeParse(rawSignature.trim());
  if (!signature.success) {
    return fail('malformed-signature', 'the X-Slack-Signature header must be v0= and 64 hex characters');
  }
  const seconds = Number(timestamp.data);
  const skew = Math.abs(Math.floor(input.now.getTime() / 1000) - seconds);
  if (skew > SLACK_SIGNATURE_WINDOW_SECONDS) {
    return fail(
      'stale-timestamp',
      `the request was signed ${skew} s away from now (more than ${SLACK_SIGNATURE_WINDOW_SECONDS} s)`,
    );
  }
  const expected = Buffer.from(signSlackRequest(input.signingSecret, timestamp.data, input.rawBody), 'utf8');
  const received = Buffer.from(signature.data.toLowerCase(), 'utf8');
  // Both are "v0=" + 64 hex characters here, so the lengths match and timingSafeEqual cannot throw.
  if (expected.length !== received.length || !timingSafeEqual(expected, received)) {
    return fail('signature-mismatch', 'the X-Slack-Signature does not match the request');
  }
  return { ok: true, timestamp: seconds };
}
