import { parser } from '@aws-lambda-powertools/parser/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type * as z from 'zod';
import { observability } from './observability.ts';

/**
 * An agent Lambda invoked by the state machine: Powertools first, the event parsed by its zod
 * contract, the handler last. A parse failure throws, which Step Functions sees as a task error.
 */
export function agentHandler<S extends z.ZodType, R>(
  schema: S,
  fn: (event: z.infer<S>, context: Context) => Promise<R>,
) {
  // timeoutEarlyInMillis 0: no stray timer when the same handler runs in-process locally.
  return middy<z.infer<S>, R>({ timeoutEarlyInMillis: 0 })
    .use(observability())
    .use(parser({ schema }))
    .handler(fn);
}
