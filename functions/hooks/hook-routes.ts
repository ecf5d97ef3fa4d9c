import type { HttpResult, RouteHandlers } from '../api/http.ts';
import { SlugSchema } from '../core/schemas.ts';
import { WEBHOOK_SIGNATURE_HEADER } from '../core/triggers/webhook-signature.ts';
import type { WebhookTrigger } from '../core/triggers/webhook-trigger.ts';
import { logger, metrics } from '../shared/powertools.ts';
import { respondToWebhook } from './webhook-response.ts';

export interface HookRoutesDeps {
  hooks: WebhookTrigger;
}

/**
 * `POST /hooks/{playbook}`: the body's exact bytes and the signature header go to the trigger, which
 * checks the signature over those bytes before it reads anything; a playbook name that is no slug
 * is simply no webhook playbook (404).
 */
export function createHookRoutes(deps: HookRoutesDeps): RouteHandlers<'hooks'> {
  return {
    receiveWebhook: async (request): Promise<HttpResult> => {
      const playbook = SlugSchema.safeParse(request.params.playbook);
      if (!playbook.success) return { statusCode: 404, body: JSON.stringify({ message: 'no such webhook' }) };
      const signatures = request.headerValues(WEBHOOK_SIGNATURE_HEADER);
      const { status, body } = await respondToWebhook(
        deps.hooks,
        {
          playbook: playbook.data,
          // Sent twice is not one signature: refused as missing, rather than one picked.
          signature: signatures.length === 1 ? signatures[0] : undefined,
          body: request.body.toString('utf8'),
        },
        (error) => logger.error('webhook failed', { playbook: playbook.data, error: error as Error }),
      );
      if (status === 202) metrics.addMetric('WebhookRunStarted', 'Count', 1);
      return {
        statusCode: status,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      };
    },
  };
}
