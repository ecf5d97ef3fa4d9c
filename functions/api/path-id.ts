import type { APIGatewayProxyEvent } from 'aws-lambda';
import { z } from 'zod';
import { parseOrThrow } from '../core/validation.ts';

/** A path parameter checked against the schema of its kind of id; a 400 naming the parameter otherwise. */
export function pathId<S extends z.ZodType>(event: APIGatewayProxyEvent, schema: S, name = 'id'): z.infer<S> {
  const params = parseOrThrow(z.object({ [name]: schema }), event.pathParameters ?? {}, 'path');
  return params[name] as z.infer<S>;
}
