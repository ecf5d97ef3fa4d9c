import type { WebhookSecrets } from '../../core/ports/triggers.ts';
import { type FetchSecret, readSecretText } from './secrets.ts';

/** The Secrets Manager name of a webhook playbook's signing secret, under the stack's prefix. */
export const webhookSecretName = (prefix: string, playbook: string) => `${prefix}/hooks/${playbook}`;

/**
 * Each webhook playbook's signing secret from Secrets Manager (`<prefix>/hooks/<playbook>`, created
 * by the Triggers construct), cached by Powertools for five minutes so a rotation reaches warm
 * containers. A missing secret fails the request (5xx, logged), never verifies it.
 */
export function secretsManagerWebhookSecrets(options: {
  prefix: string;
  fetchSecret?: FetchSecret;
}): WebhookSecrets {
  return {
    secretOf: (playbook) => readSecretText(webhookSecretName(options.prefix, playbook), options),
  };
}
