import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { Hono } from 'hono';
import { httpLambdaHandler } from '../../functions/shared/http-lambda.ts';
import { createLocalContext } from '../../lib/local/http/lambda-context.ts';

/** The request path API Gateway would send for `resource` with these path parameters. */
function pathOf(event: APIGatewayProxyEvent): string {
  if (!event.path.includes('{')) return event.path;
  return event.resource.replace(/\{([A-Za-z0-9_]+)\}/g, (_, name: string) =>
    encodeURIComponent(event.pathParameters?.[name] ?? ''),
  );
}

/**
 * An HTTP function's app as its Lambda runs it (hono/aws-lambda behind middy and Powertools),
 * called with an API Gateway REST event; the answer's headers in one map, lower-case names.
 */
export function lambdaFor(app: Hono, timeoutMs = 10_000) {
  const handler = httpLambdaHandler(app);
  return async (event: APIGatewayProxyEvent, context = createLocalContext('aios-http', timeoutMs)) => {
    const result: APIGatewayProxyResult = await handler({ ...event, path: pathOf(event) }, context);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(result.headers ?? {}))
      headers[name.toLowerCase()] = String(value);
    for (const [name, values] of Object.entries(result.multiValueHeaders ?? {}))
      headers[name.toLowerCase()] = values.map(String).join(', ');
    return { ...result, headers };
  };
}
