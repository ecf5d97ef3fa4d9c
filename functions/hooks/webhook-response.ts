import { MAX_JSON_BODY_BYTES } from '../api/request-input.ts';
import { NotFoundError, ValidationError } from '../core/errors.ts';
import { WebhookEventReusedError, WebhookSignatureError } from '../core/triggers/errors.ts';
import type { WebhookDelivery, WebhookTrigger } from '../core/triggers/webhook-trigger.ts';

export interface WebhookResponse {
  status: 200 | 202 | 400 | 401 | 404 | 409 | 413 | 500;
  body: Record<string, unknown>;
}

/**
 * `POST /hooks/{playbook}` as plain data in and out, for the route table's handler to wrap: 202 and
 * the run for a new event, 200 with `replayed` for one already taken, and the documented 4xx for
 * each refusal (every one of which started nothing). A 5xx says nothing; `onError` logs the cause.
 */
export async function respondToWebhook(
  trigger: WebhookTrigger,
  delivery: WebhookDelivery,
  onError: (error: unknown) => void,
): Promise<WebhookResponse> {
  if (Buffer.byteLength(delivery.body, 'utf8') > MAX_JSON_BODY_BYTES)
    return { status: 413, body: { message: `request body is larger than ${MAX_JSON_BODY_BYTES} bytes` } };
  try {
    const outcome = await trigger.receive(delivery);
    return { status: outcome.replayed ? 200 : 202, body: { ...outcome } };
  } catch (error) {
    if (error instanceof WebhookSignatureError) return { status: 401, body: { message: error.message } };
    if (error instanceof NotFoundError) return { status: 404, body: { message: error.message } };
    if (error instanceof ValidationError)
      return { status: 400, body: { message: error.message, issues: error.issues } };
    if (error instanceof WebhookEventReusedError) return { status: 409, body: { message: error.message } };
    onError(error);
    return { status: 500, body: { message: 'internal error; the request id is in the server log' } };
  }
}
