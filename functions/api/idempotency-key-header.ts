import { ValidationError } from '../core/errors.ts';
import { IdempotencyKeySchema } from '../core/run-start-claims.ts';
import type { HttpRequest } from './http.ts';

const HEADER = 'idempotency-key';

/**
 * The request's `Idempotency-Key`, if it sent one. Header names are case-insensitive; sent twice
 * is refused rather than guessed at.
 */
export function idempotencyKeyOf(event: HttpRequest): string | undefined {
  const values = event.headerValues(HEADER);
  if (values.length > 1)
    throw new ValidationError('send one Idempotency-Key header, not several', [
      { path: 'headers.Idempotency-Key', message: 'sent more than once' },
    ]);
  const key = values[0];
  if (key === undefined) return undefined;
  const parsed = IdempotencyKeySchema.safeParse(key);
  if (parsed.success) return parsed.data;
  const message = parsed.error.issues[0]?.message ?? 'is invalid';
  throw new ValidationError(`header Idempotency-Key ${message} (1 to 255 printable ASCII characters)`, [
    { path: 'headers.Idempotency-Key', message },
  ]);
}
