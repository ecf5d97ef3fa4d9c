import { join } from 'node:path';
import type { WebhookSecrets } from '../../functions/core/ports/triggers.ts';
import type { WorkflowCatalog } from '../../functions/core/ports.ts';
import { ensureLocalSecret } from './http/api-token.ts';

/** Where a webhook playbook's signing secret is kept locally: `<data dir>/hooks/<playbook>`. */
export const hookSecretsDir = (dataDir: string) => join(dataDir, 'hooks');

/**
 * The local stand-in for the hook secrets in Secrets Manager: one file per webhook playbook
 * (32 random bytes, hex, mode 0600), created on first use. `ensureAll` creates every webhook
 * playbook's at start-up, so `aios hooks secret <playbook>` has one to show before any event.
 */
export function localWebhookSecrets(
  dataDir: string,
): WebhookSecrets & { ensureAll(catalog: WorkflowCatalog): Promise<void> } {
  const dir = hookSecretsDir(dataDir);
  return {
    async secretOf(playbook) {
      return ensureLocalSecret(dir, playbook);
    },
    async ensureAll(catalog) {
      for (const workflow of await catalog.workflows())
        if (workflow.trigger.type === 'webhook') ensureLocalSecret(dir, workflow.name);
    },
  };
}
