import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type { DynamoDBAnswer } from './dynalite-engine.ts';

type RequestHandler = Extract<NonNullable<DynamoDBClientConfig['requestHandler']>, { handle: unknown }>;
type HttpRequest = Parameters<RequestHandler['handle']>[0];
type HandlerOutput = Awaited<ReturnType<RequestHandler['handle']>>;

/** What answers a request: the X-Amz-Target header and the JSON body in, the status and body out. */
export type AnswerRequest = (target: string | undefined, body: string) => Promise<DynamoDBAnswer>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function bodyText(body: unknown): string {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return decoder.decode(body);
  throw new TypeError('the in-process DynamoDB transport takes a string or byte body only');
}

function header(request: HttpRequest, name: string): string | undefined {
  const headers = request.headers as Record<string, string>;
  for (const key of Object.keys(headers)) if (key.toLowerCase() === name) return headers[key];
  return undefined;
}

/**
 * An SDK request handler that hands each DynamoDB request to `answer` in this process instead of
 * sending it over a socket: the SDK still serialises, and parses the answer (errors included) as it
 * would an HTTP response, so a client built on it behaves as one on the HTTP endpoint.
 */
export function inProcessRequestHandler(answer: AnswerRequest): RequestHandler {
  return {
    async handle(request: HttpRequest): Promise<HandlerOutput> {
      const { statusCode, body } = await answer(header(request, 'x-amz-target'), bodyText(request.body));
      return {
        response: {
          statusCode,
          headers: { 'content-type': 'application/x-amz-json-1.0' },
          body: encoder.encode(body),
        },
      } as HandlerOutput;
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
  } as RequestHandler;
}

type AuthScheme = NonNullable<DynamoDBClientConfig['httpAuthSchemes']>[number];

/**
 * SigV4 for a request that never leaves the process: nothing checks a signature there, and
 * signing costs about a tenth of each request's time (two HMAC chains and a body hash).
 */
export const UNSIGNED_SIGV4: AuthScheme = {
  schemeId: 'aws.auth#sigv4',
  identityProvider: () => async () => ({}),
  signer: { sign: async (request) => request },
};
