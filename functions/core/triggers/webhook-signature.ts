import { createHmac, timingSafeEqual } from 'node:crypto';
import { WebhookSignatureError } from './errors.ts';

/** The header a webhook's signature comes in. */
export const WEBHOOK_SIGNATURE_HEADER = 'aios-signature';

/** How far a signature's timestamp may be from now, either way: a replay after this is refused. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

/** HMAC-SHA256 of `${t}.${body}` in hex, as Stripe signs (`v1`). */
export function webhookSignatureOf(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
}

/** The header value for a body signed now: what a sender (or `curl` in the README) sends. */
export function signWebhook(secret: string, body: string, now: Date): string {
  const t = Math.floor(now.getTime() / 1000);
  return `t=${t},v1=${webhookSignatureOf(secret, t, body)}`;
}

/**
 * Checks `t=<unix seconds>,v1=<hex>[,v1=<hex>...]` against the exact body: one `v1` must match (a
 * sender rotating its secret may send two), compared in constant time, and `t` must be within the
 * tolerance of now. Throws WebhookSignatureError with a reason that gives nothing away.
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | undefined,
  body: string,
  now: Date,
  toleranceSeconds = WEBHOOK_TOLERANCE_SECONDS,
): void {
  if (!header) throw new WebhookSignatureError(`the ${WEBHOOK_SIGNATURE_HEADER} header is missing`);
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const at = part.indexOf('=');
    const key = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (timestamp === undefined || signatures.length === 0)
    throw new WebhookSignatureError(
      `the ${WEBHOOK_SIGNATURE_HEADER} header must be t=<unix seconds>,v1=<hex HMAC-SHA256>`,
    );
  if (Math.abs(now.getTime() / 1000 - timestamp) > toleranceSeconds)
    throw new WebhookSignatureError(
      `the signature's timestamp is more than ${toleranceSeconds} s from now; sign the event again`,
    );
  const expected = Buffer.from(webhookSignatureOf(secret, timestamp, body), 'hex');
  const matches = signatures.filter((given) => timingSafeEqual(expected, Buffer.from(given, 'hex')));
  if (matches.length === 0) throw new WebhookSignatureError('the signature does not match the body');
}
