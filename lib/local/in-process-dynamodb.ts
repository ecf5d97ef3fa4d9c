import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBAnswer } from './dynalite-engine.ts';
import { cacheMiddlewareOrder } from './middleware-order-cache.ts';

/** What answers a request: the X-Amz-Target header and the JSON body in, the status and body out. */
export type AnswerRequest = (target: string | undefined, body: string) => Promise<DynamoDBAnswer>;

/*
 * The parts of the SDK's schema-based JSON protocol (client.config.protocol, AwsJson1_0Protocol)
 * used here: the same serializer and deserializer an HTTP request goes through, minus the HTTP.
 */
type Schema = unknown;
interface Operation {
  namespace: string;
  name: string;
  traits: unknown;
  input: Schema;
  output: Schema;
}
interface JsonProtocol {
  serviceTarget: string;
  serializer: { write(schema: Schema, value: unknown): void; flush(): Uint8Array | string | undefined };
  deserializer: { read(schema: Schema, data: string): Promise<Record<string, unknown>> };
  deserializeResponse(operation: Operation, context: object, response: ResponseLike): Promise<never>;
}
interface ResponseLike {
  statusCode: number;
  headers: Record<string, string>;
  body: Uint8Array;
}
type Args = { input: unknown; request?: unknown };
type Middleware = (
  next: (args: Args) => Promise<{ output: unknown; response?: unknown }>,
  context: Record<string, unknown>,
) => (args: Args) => Promise<{ output: unknown; response?: unknown }>;

/** The smithy context key (SMITHY_CONTEXT_KEY of @smithy/types) under which a command keeps its operation schema. */
const SMITHY_CONTEXT = '__smithy_context';
const IN_PROCESS = Symbol('aios.inProcessDynamoDBRequest');

/**
 * Middlewares that only matter to a request on the wire: its headers (length, host, user agent,
 * recursion detection), its signature and the choice of signer, and retries, which here would only
 * repeat the same answer (the store has no throttling and no network to fail; a 500 is a defect).
 * Each is replaced by one that passes the request on, under the same name and place, so code that
 * adds its own middleware next to one of them (Powertools, after the user agent) still can.
 */
const WIRE_ONLY_MIDDLEWARE: ReadonlyArray<Record<string, unknown> & { name: string }> = [
  { name: 'contentLengthMiddleware', step: 'build', tags: ['SET_CONTENT_LENGTH', 'CONTENT_LENGTH'] },
  { name: 'getUserAgentMiddleware', step: 'build', priority: 'low', tags: ['SET_USER_AGENT', 'USER_AGENT'] },
  { name: 'hostHeaderMiddleware', step: 'build', priority: 'low', tags: ['HOST'] },
  {
    name: 'recursionDetectionMiddleware',
    step: 'build',
    priority: 'low',
    tags: ['RECURSION_DETECTION', 'TRACE_CONTEXT_PROPAGATION'],
  },
  { name: 'retryMiddleware', step: 'finalizeRequest', priority: 'high', tags: ['RETRY'] },
];
/** The same, for the two placed relative to a middleware rather than in a step of their own. */
const WIRE_ONLY_RELATIVE_MIDDLEWARE: ReadonlyArray<Record<string, unknown> & { name: string }> = [
  {
    name: 'httpAuthSchemeMiddleware',
    step: 'serialize',
    tags: ['HTTP_AUTH_SCHEME'],
    relation: 'before',
    toMiddleware: 'endpointV2Middleware',
  },
  {
    name: 'httpSigningMiddleware',
    step: 'finalizeRequest',
    tags: ['HTTP_SIGNING'],
    aliases: ['apiKeyMiddleware', 'tokenMiddleware', 'awsAuthMiddleware'],
    relation: 'after',
    toMiddleware: 'retryMiddleware',
  },
];
/**
 * The one each command adds itself: it resolves the URL a request would be sent to, which only the
 * wire-only middlewares above and the SDK's own serializer read.
 */
const COMMAND_WIRE_ONLY_MIDDLEWARE: ReadonlySet<string> = new Set(['endpointV2Middleware']);
const passOn: Middleware = (next) => next;

/** What the retry middleware reports of a request answered at its first attempt. */
const FIRST_ATTEMPT = { attempts: 1, totalRetryDelay: 0 };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function operationOf(context: Record<string, unknown>): Operation {
  const smithy = context[SMITHY_CONTEXT] as { operationSchema?: unknown[] } | undefined;
  const [, namespace, name, traits, input, output] = smithy?.operationSchema ?? [];
  if (typeof name !== 'string')
    throw new TypeError('the in-process DynamoDB client got a command without a schema');
  return { namespace: namespace as string, name, traits, input, output };
}

/**
 * What the serializer hands on: the method, headers and body an HTTP request would carry (a
 * middleware may read or add headers, as Powertools adds to the user agent), and the operation.
 */
interface InProcessRequest {
  method: 'POST';
  headers: Record<string, string>;
  body: string;
  [IN_PROCESS]: Operation;
}

/**
 * Makes `client` hand each request to `answer` in this process instead of sending it: the request
 * body is written by the SDK's own serializer and the answer read by its own deserializer, as over
 * HTTP, so outputs (binary attributes, dates, `$metadata`) and errors (the same exception classes,
 * `Item` on a failed condition) are the same. What it skips is the HTTP request and response
 * objects and the middlewares only a request on the wire needs, which were a quarter of a local
 * request's CPU, and it works out the order of a command's middlewares once rather than per request
 * (middleware-order-cache.ts). Middlewares added to the client still run around it (counters, fault
 * injection), and document clients made from it marshal and unmarshal as ever.
 */
export function answerInProcess(client: DynamoDBClient, answer: AnswerRequest): void {
  const config = client.config as unknown as { protocol: JsonProtocol };
  const { protocol } = config;
  for (const options of WIRE_ONLY_MIDDLEWARE)
    client.middlewareStack.add(passOn as never, { ...options, override: true } as never);
  for (const options of WIRE_ONLY_RELATIVE_MIDDLEWARE)
    client.middlewareStack.addRelativeTo(passOn as never, { ...options, override: true } as never);

  const serialize: Middleware = (next, context) => async (args) => {
    const operation = operationOf(context);
    // As the protocol's serializeRequest: a missing input is an empty structure, an empty body "{}".
    const input = args.input && typeof args.input === 'object' ? args.input : {};
    protocol.serializer.write(operation.input, input);
    const written = protocol.serializer.flush();
    const body = typeof written === 'string' ? written : written ? decoder.decode(written) : '';
    const request: InProcessRequest = {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': `${protocol.serviceTarget}.${operation.name}`,
      },
      body: body || '{}',
      [IN_PROCESS]: operation,
    };
    return next({ ...args, request });
  };

  const deserialize: Middleware = (_next, context) => async (args) => {
    const request = args.request as Partial<InProcessRequest> | undefined;
    const operation = request?.[IN_PROCESS];
    if (!request || !operation)
      throw new TypeError('the in-process DynamoDB client got a request it did not serialise');
    const answered = await answer(request.headers?.['x-amz-target'], String(request.body));
    if (answered.statusCode >= 300) {
      const response: ResponseLike = {
        statusCode: answered.statusCode,
        headers: { 'content-type': 'application/x-amz-json-1.0' },
        body: encoder.encode(answered.body),
      };
      try {
        await protocol.deserializeResponse(operation, { ...config, ...context }, response);
      } catch (error) {
        // As the SDK's deserializer and retry middlewares leave an error answered over HTTP.
        Object.defineProperty(error, '$response', { value: response, enumerable: false });
        const metadata = (error as { $metadata?: object }).$metadata;
        if (metadata) Object.assign(metadata, FIRST_ATTEMPT);
        throw error;
      }
    }
    const output = answered.body ? await protocol.deserializer.read(operation.output, answered.body) : {};
    output.$metadata = {
      httpStatusCode: answered.statusCode,
      requestId: undefined,
      extendedRequestId: undefined,
      cfId: undefined,
      ...FIRST_ATTEMPT,
    };
    return { output };
  };

  client.middlewareStack.add(serialize as never, {
    name: 'serializerMiddleware',
    step: 'serialize',
    tags: ['SERIALIZER'],
    override: true,
  });
  client.middlewareStack.add(deserialize as never, {
    name: 'deserializerMiddleware',
    step: 'deserialize',
    tags: ['DESERIALIZER'],
    override: true,
  });
  cacheMiddlewareOrder(client.middlewareStack, {
    // A command's own stack stays empty until it is sent.
    emptyStack: () => new DescribeTableCommand({ TableName: '' }).middlewareStack as never,
    passOver: COMMAND_WIRE_ONLY_MIDDLEWARE,
  });
}
