import { AiosError } from '../errors.ts';

/** A webhook request whose signature is missing, malformed, forged or stale: 401, and nothing starts. */
export class WebhookSignatureError extends AiosError {}

/** A webhook event id already taken by an event with another body: 409, and nothing starts. */
export class WebhookEventReusedError extends AiosError {}
