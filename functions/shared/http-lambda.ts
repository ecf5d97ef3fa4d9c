import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';
import { observability } from './observability.ts';

/** Characters a fetch `Headers` object refuses in a value (hono/aws-lambda would answer a bare 400 text). */
const UNSENDABLE = /[\r\n\0]/g;

const sendable = <V extends string | string[] | undefined>(record: Record<string, V> | null) =>
  record &&
  Object.fromEntries(
    Object.entries(record).map(([name, value]) => [
      name,
      Array.isArray(value) ? value.map((v) => v.replace(UNSENDABLE, ' ')) : value?.replace(UNSENDABLE, ' '),
    ]),
  );

/**
 * An HTTP function's Lambda handler: the hono app built from the route table, behind API Gateway
 * REST (v1) proxy events, with the Powertools middlewares every handler starts with. The app
 * sees the event's headers as they came in `rawHeaders` (see functions/api/http.ts), so a value
 * a `Headers` object cannot hold is still refused by name rather than by the adapter.
 * `timeoutEarlyInMillis: 0`: API Gateway's own 29 s limit answers a stuck request, and outside
 * Lambda (tests) no early-timeout timer keeps the process alive.
 */
export function httpLambdaHandler(app: Hono) {
  const serve = handle(app) as unknown as (
    event: unknown,
    context: Context,
  ) => Promise<APIGatewayProxyResult>;
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>({ timeoutEarlyInMillis: 0 })
    .use(observability())
    .handler((event, context) =>
      serve(
        {
          ...event,
          headers: sendable(event.headers),
          multiValueHeaders: sendable(event.multiValueHeaders),
          rawHeaders: { headers: event.headers, multiValueHeaders: event.multiValueHeaders },
        },
        context,
      ),
    );
}
