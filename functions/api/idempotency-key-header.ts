import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ValidationError } from '../core/errors.ts';
import { IdempotencyKeySchema } from '../core/run-start-claims.ts';

const HEADER = 'idempotency-key';

/**
 * The request's `Idempotency-Key`, if it sent one. Header names are case-insensitive and API
 * Gateway keeps the client's casing, so the name is matched in lower case; sent twice is refused
 * rather than guessed at.
 */
export function idempotencyKeyOf(event: APIGatewayProxyEvent): string | undefined {
  const values = Object.entries(event.multiValueHeaders ?? {})
    .filter(([name]) => name.toLowerCase() === HEADER)
    .flatMap(([, list]) => list ?? []);
  const single = Object.entries(event.headers ?? {}).find(([name]) => name.toLowerCase() === HEADER)?.[1];
  if (values.length > 1)
    throw new ValidationError('send one Idempotency-Key header, not several', [
      { path: 'headers.Idempotency-Key', message: 'sent more than once' },
    ]);
  const key = values[0] ?? single;
  if (key === undefined) return undefined;
  const parsed = IdempotencyKeySchema.safeParse(key);
  if (parsed.success) return parsed.data;
  const message = parsed.error.issues[0]?.message ?? 'is invalid';
  throw new ValidationError(`header Idempotency-Key ${message} (1 to 255 printable ASCII characters)`, [
    { path: 'headers.Idempotency-Key', message },
  ]);
}
