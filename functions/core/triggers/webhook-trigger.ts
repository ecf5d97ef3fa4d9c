import * as z from 'zod';
import { IdempotencyKeyReusedError, NotFoundError, ValidationError } from '../errors.ts';
import type { WebhookEvents, WebhookSecrets } from '../ports/triggers.ts';
import type { Clock, WorkflowCatalog } from '../ports.ts';
import type { RunsService } from '../runs-service.ts';
import type { Workflow } from '../schemas.ts';
import { parseJsonOrThrow, parseOrThrow } from '../validation.ts';
import { parseRunInput } from '../workflow-input.ts';
import { WebhookEventReusedError } from './errors.ts';
import { webhookRunId } from './run-ids.ts';
import { verifyWebhookSignature } from './webhook-signature.ts';

export interface WebhookTriggerDeps {
  catalog: WorkflowCatalog;
  runs: Pick<RunsService, 'start'>;
  events: WebhookEvents;
  secrets: WebhookSecrets;
  clock: Clock;
}

export interface WebhookDelivery {
  playbook: string;
  /** The `aios-signature` header as received. */
  signature: string | undefined;
  /** The body exactly as received: the signature covers these bytes. */
  body: string;
}

export interface WebhookOutcome {
  runId: string;
  eventId: string;
  /** The event had been taken before: nothing new started. */
  replayed: boolean;
}

/** The event's own id, which deduplicates deliveries: what Stripe and most senders put in `id`. */
const EventEnvelopeSchema = z.object({
  id: z
    .string({ error: 'must be the event id, a string' })
    .min(1)
    .max(200)
    .regex(/^[\x21-\x7e]+$/, { error: 'must be printable ASCII without spaces' }),
});

/** The body's fields that the input schema names: a sender's other fields are not the playbook's business. */
function inputOf(workflow: Workflow, body: Record<string, unknown>): Record<string, unknown> {
  const names = workflow.inputSchema
    ? Object.keys(workflow.inputSchema.properties ?? {})
    : (workflow.inputRequired ?? []);
  return Object.fromEntries(
    names.filter((name) => Object.hasOwn(body, name)).map((name) => [name, body[name]]),
  );
}

const isWebhook = (workflow: Workflow | undefined): workflow is Workflow =>
  workflow?.trigger.type === 'webhook';

/**
 * `POST /hooks/{playbook}`: a signed JSON event starts one run of a webhook playbook. In this
 * order, each refusal starting nothing: the playbook takes webhooks (404), the signature is the
 * hook secret's over this exact body and recent (401), the body is a JSON object with an `id`
 * and fits the input schema (400 naming the field); then the event id is taken, and a delivery
 * of an id already taken gets the run it started.
 */
export function createWebhookTrigger(deps: WebhookTriggerDeps) {
  return {
    async receive(delivery: WebhookDelivery): Promise<WebhookOutcome> {
      const workflow = await deps.catalog.workflow(delivery.playbook);
      if (!isWebhook(workflow)) throw new NotFoundError(`${delivery.playbook} takes no webhooks`);
      const now = deps.clock.now();
      verifyWebhookSignature(
        await deps.secrets.secretOf(workflow.name),
        delivery.signature,
        delivery.body,
        now,
      );
      const body = parseJsonOrThrow(delivery.body, 'body');
      if (body === null || typeof body !== 'object' || Array.isArray(body))
        throw new ValidationError('body must be a JSON object', [
          { path: 'body', message: 'must be a JSON object' },
        ]);
      const { id: eventId } = parseOrThrow(EventEnvelopeSchema, body, 'body');
      const input = parseRunInput(workflow, inputOf(workflow, body as Record<string, unknown>), 'body');

      const { event, created } = await deps.events.claim({
        playbook: workflow.name,
        eventId,
        runId: webhookRunId(workflow.name, now),
        receivedAt: now.toISOString(),
      });
      try {
        // The claim key and the run id are the event's: a crash before here is finished by the retry.
        await deps.runs.start(
          { workflow: workflow.name, input },
          { idempotencyKey: `hook:${workflow.name}:${eventId}`, runId: event.runId },
        );
      } catch (error) {
        if (error instanceof IdempotencyKeyReusedError)
          throw new WebhookEventReusedError(
            `event ${eventId} was already received with another body (run ${event.runId}); an event id names one event`,
          );
        throw error;
      }
      return { runId: event.runId, eventId, replayed: !created };
    },
  };
}

export type WebhookTrigger = ReturnType<typeof createWebhookTrigger>;
