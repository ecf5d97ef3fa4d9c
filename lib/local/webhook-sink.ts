import { existsSync, readFileSync } from 'node:fs';
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { HttpRequest, HttpResult, RouteHandlers } from '../../functions/api/http.ts';

/**
 * The local stand-in for the outside services the sample playbooks call (a CRM, a mailer).
 * Like a provider that honours Idempotency-Key, it applies a repeated key once, and it keeps
 * every delivery in .aios/outbox/webhooks.jsonl so the operator can see what "went out".
 */
export function createWebhookSink(outboxDir: string): Pick<RouteHandlers<'local'>, 'localWebhookSink'> {
  const file = join(outboxDir, 'webhooks.jsonl');
  // Keys seen before a restart still count: a provider's dedupe outlives our process.
  const seen = new Set<string>(
    existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => (JSON.parse(line) as { idempotencyKey?: string }).idempotencyKey)
          .filter((key): key is string => typeof key === 'string')
      : [],
  );
  const localWebhookSink = async (event: HttpRequest): Promise<HttpResult> => {
    const key = event.headers['idempotency-key'];
    const duplicate = key !== undefined && seen.has(key);
    if (key) seen.add(key);
    await mkdir(outboxDir, { recursive: true });
    await appendFile(
      file,
      `${JSON.stringify({ at: new Date().toISOString(), hook: event.params.name, idempotencyKey: key, duplicate, body: event.body.length > 0 ? event.body.toString('utf8') : null })}\n`,
    );
    return {
      statusCode: duplicate ? 200 : 201,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ received: true, duplicate }),
    };
  };
  return { localWebhookSink };
}
