import type * as z from 'zod';
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

/** Deeper JSON than this is no command anyone sends; the store could not keep it either (DynamoDB: 32). */
export const MAX_JSON_DEPTH = 16;

/** A key that, once assigned to a plain object, replaces its prototype instead of adding a field. */
const FORBIDDEN_KEY = '__proto__';

/**
 * Where a parsed JSON value holds a `__proto__` key, or nests deeper than MAX_JSON_DEPTH: the first
 * such place, as a dotted path, or undefined. Iterative, so no input can exhaust the stack.
 */
export function jsonShapeProblem(value: unknown): { path: string; message: string } | undefined {
  const pending: { value: unknown; path: string[] }[] = [{ value, path: [] }];
  while (pending.length > 0) {
    const next = pending.pop() as { value: unknown; path: string[] };
    if (next.value === null || typeof next.value !== 'object') continue;
    if (next.path.length >= MAX_JSON_DEPTH) {
      return {
        path: next.path.join('.'),
        message: `nests deeper than ${MAX_JSON_DEPTH} levels`,
      };
    }
    for (const key of Object.keys(next.value)) {
      const path = [...next.path, key];
      if (key === FORBIDDEN_KEY) {
        return { path: path.join('.'), message: `"${FORBIDDEN_KEY}" is not accepted as a key` };
      }
      pending.push({ value: (next.value as Record<string, unknown>)[key], path });
    }
  }
  return undefined;
}

/**
 * JSON text from outside: a ValidationError when it is not JSON, holds a `__proto__` key anywhere
 * (which every object schema would silently drop, so an edit hidden under it would vanish) or nests
 * too deep. The message names the place.
 */
export function parseJsonOrThrow(text: string, what: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ValidationError(`${what} is not valid JSON`);
  }
  const problem = jsonShapeProblem(value);
  if (problem) {
    const path = problem.path || '(root)';
    throw new ValidationError(`${what} is invalid: ${path}: ${problem.message}`, [
      { path, message: problem.message },
    ]);
  }
  return value;
}
