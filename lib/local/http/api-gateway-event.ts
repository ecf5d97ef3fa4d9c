import type { APIGatewayProxyEvent } from 'aws-lambda';

export interface RawHttpRequest {
  method: string;
  /** Path and query exactly as on the request line. */
  url: string;
  /** Node's `rawHeaders`: name, value, name, value... with the client's casing. */
  rawHeaders: readonly string[];
  body: Buffer;
  sourceIp: string;
  httpVersion: string;
}

export interface EventRouteInfo {
  /** The route template, API Gateway's `resource`. */
  resource: string;
  pathParameters: Record<string, string> | null;
  requestId: string;
  stage: string;
  /** Epoch milliseconds of arrival. */
  receivedAt: number;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** API Gateway's `requestTime` format: `09/Apr/2015:12:34:56 +0000`. */
function requestTime(epochMs: number): string {
  const d = new Date(epochMs);
  return (
    `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`
  );
}

const TEXT_TYPES =
  /^(text\/[^;]+|application\/(json|[^;]+\+json|xml|[^;]+\+xml|x-www-form-urlencoded|javascript|graphql))\s*(;|$)/i;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Text bodies pass as strings; anything else (or text that is not UTF-8) as base64, as with binaryMediaTypes `*\/*`. */
function encodeBody(
  body: Buffer,
  contentType: string | undefined,
): { body: string | null; isBase64Encoded: boolean } {
  if (body.length === 0) return { body: null, isBase64Encoded: false };
  if (contentType === undefined || TEXT_TYPES.test(contentType.trim())) {
    try {
      return { body: utf8.decode(body), isBase64Encoded: false };
    } catch {
      // Not UTF-8 after all: fall through to base64.
    }
  }
  return { body: body.toString('base64'), isBase64Encoded: true };
}

/**
 * A map keyed by names from the request, as the object API Gateway would put in the event. It has
 * no prototype, so a name such as `__proto__`, `constructor` or `toString` is just a key: it can
 * neither be mistaken for an inherited member nor replace the object's prototype.
 */
function toRecord<V>(entries: Iterable<[string, V]>): Record<string, V> {
  const record = Object.create(null) as Record<string, V>;
  for (const [key, value] of entries) record[key] = value;
  return record;
}

/** Groups values by name, in order; a Map, so any name is safe to use as a key. */
function grouped(pairs: Iterable<[string, string]>, keyOf: (name: string) => string) {
  const groups = new Map<string, string[]>();
  for (const [name, value] of pairs) {
    const key = keyOf(name);
    const values = groups.get(key);
    if (values) values.push(value);
    else groups.set(key, [value]);
  }
  return groups;
}

const lastValues = (groups: Map<string, string[]>) =>
  toRecord([...groups].map(([key, values]): [string, string] => [key, values.at(-1) as string]));

function collectHeaders(rawHeaders: readonly string[]) {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    pairs.push([rawHeaders[i] as string, rawHeaders[i + 1] as string]);
  }
  // API Gateway keeps the casing of a header's first occurrence for all of its values.
  const firstCasing = new Map<string, string>();
  const groups = grouped(pairs, (name) => {
    const lower = name.toLowerCase();
    const key = firstCasing.get(lower) ?? name;
    firstCasing.set(lower, key);
    return key;
  });
  return {
    single: lastValues(groups),
    multi: toRecord(groups),
    get: (lower: string) => {
      const key = firstCasing.get(lower);
      return key === undefined ? undefined : groups.get(key)?.at(-1);
    },
  };
}

function collectQuery(search: string) {
  const groups = grouped(new URLSearchParams(search), (name) => name);
  if (groups.size === 0) return { single: null, multi: null };
  return { single: lastValues(groups), multi: toRecord(groups) };
}

/** The event API Gateway (REST, proxy integration) would send the Lambda for this request. */
export function toApiGatewayProxyEvent(request: RawHttpRequest, route: EventRouteInfo): APIGatewayProxyEvent {
  const queryStart = request.url.indexOf('?');
  const path = queryStart === -1 ? request.url : request.url.slice(0, queryStart);
  const query = collectQuery(queryStart === -1 ? '' : request.url.slice(queryStart + 1));
  const headers = collectHeaders(request.rawHeaders);
  const { body, isBase64Encoded } = encodeBody(request.body, headers.get('content-type'));
  const host = headers.get('host') ?? 'localhost';
  return {
    resource: route.resource,
    path,
    httpMethod: request.method,
    headers: headers.single,
    multiValueHeaders: headers.multi,
    queryStringParameters: query.single,
    multiValueQueryStringParameters: query.multi,
    pathParameters: route.pathParameters,
    stageVariables: null,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      domainName: host,
      domainPrefix: host.split('.')[0] ?? host,
      extendedRequestId: route.requestId,
      httpMethod: request.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: request.sourceIp,
        user: null,
        userAgent: headers.get('user-agent') ?? null,
        userArn: null,
      },
      path: `/${route.stage}${path}`,
      protocol: `HTTP/${request.httpVersion}`,
      requestId: route.requestId,
      requestTime: requestTime(route.receivedAt),
      requestTimeEpoch: route.receivedAt,
      resourceId: 'local',
      resourcePath: route.resource,
      stage: route.stage,
    },
    body,
    isBase64Encoded,
  };
}
