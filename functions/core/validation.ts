import type { z } from 'zod';
import { ValidationError } from './errors.ts';

/** Parses outside input; on failure throws a ValidationError whose message names every bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => ({
    path: issue.path.length > 0 ? issue.path.join('.') : '(root)',
    message: issue.message,
  }));
  const detail = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  throw new ValidationError(`${what} is invalid: ${detail}`, issues);
}
