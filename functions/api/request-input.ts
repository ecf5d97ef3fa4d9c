import * as z from 'zod';
import { AiosError, ValidationError } from '../core/errors.ts';
import { ApprovalIdSchema, RunIdSchema } from '../core/ids.ts';
import { parseJsonOrThrow, parseOrThrow } from '../core/validation.ts';
import type { HttpRequest } from './http.ts';

/** A request body larger than the API takes; the client gets a 413 naming the limit. */
export class PayloadTooLargeError extends AiosError {}

/**
 * The largest JSON body the API takes. What it carries (a run's input, a memory's text) is copied
 * into records of the store, whose items hold at most 400 KB, so a body must stay well below that.
 */
export const MAX_JSON_BODY_BYTES = 65_536;

/** The JSON body: present, within MAX_JSON_BODY_BYTES, JSON, no `__proto__` key, not too deep. */
export function parseBody(event: HttpRequest): unknown {
  if (event.body.length === 0) throw new ValidationError('request body is empty; send a JSON object');
  if (event.body.length > MAX_JSON_BODY_BYTES) {
    throw new PayloadTooLargeError(`request body is larger than ${MAX_JSON_BODY_BYTES} bytes`);
  }
  return parseJsonOrThrow(event.body.toString('utf8'), 'request body');
}

/** A path parameter checked against the schema of its kind of id; a 400 naming the parameter otherwise. */
export function pathId<S extends z.ZodType>(event: HttpRequest, schema: S, name = 'id'): z.infer<S> {
  const params = parseOrThrow(z.object({ [name]: schema }), { ...event.params }, 'path');
  return params[name] as z.infer<S>;
}

export const runIdOf = (event: HttpRequest): string => pathId(event, RunIdSchema);
export const approvalIdOf = (event: HttpRequest): string => pathId(event, ApprovalIdSchema);
