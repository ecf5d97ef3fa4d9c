import { existsSync, readFileSync } from 'node:fs';
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

/**
 * The local stand-in for the outside services the sample playbooks call (a CRM, a mailer).
 * Like a provider that honours Idempotency-Key, it applies a repeated key once, and it keeps
 * every delivery in .aios/outbox/webhooks.jsonl so the operator can see what "went out".
 */
export function createWebhookSink(outboxDir: string) {
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
  return async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    const key = event.headers['idempotency-key'] ?? event.headers['Idempotency-Key'];
    const duplicate = key !== undefined && seen.has(key);
    if (key) seen.add(key);
    await mkdir(outboxDir, { recursive: true });
    await appendFile(
      file,
      `${JSON.stringify({ at: new Date().toISOString(), hook: event.pathParameters?.name, idempotencyKey: key, duplicate, body: event.body })}\n`,
    );
    return {
      statusCode: duplicate ? 200 : 201,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ received: true, duplicate }),
    };
  };
}
