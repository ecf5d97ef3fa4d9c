import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { type AttributeValue, ListTablesCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { signSlackRequest } from '../../functions/approvals/slack/signature.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';

/** Names that reach Object.prototype when a plain object is indexed or assigned with them. */
export const PROTOTYPE_NAMES = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__defineGetter__',
  'isPrototypeOf',
] as const;

/** What the fuzzer knows of the runtime: real ids, so some requests get past "not found". */
export interface FuzzTargets {
  runtime: LocalRuntime;
  runId: string;
  approvalId: string;
  memoryId: string;
  /** A magic-link token for `approvalId`. */
  linkToken: string;
}

export interface FuzzRequest {
  method: string;
  /** Exactly what goes on the request line. */
  path: string;
  /** Which route template the request was built from (or "random"), for the census. */
  route: string;
  headers: [string, string][];
  body?: Buffer;
}

const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

const unicode = fc.string({ unit: 'grapheme', maxLength: 12 });
const ascii = fc.string({ unit: 'binary-ascii', maxLength: 24 });
const huge = fc.integer({ min: 2_000, max: 6_000 }).map((n) => 'a'.repeat(n));

/** A path parameter before encoding: real ids, near misses, huge, unicode, traversal, prototype names. */
function idArbitrary(targets: FuzzTargets, template: string, name: string) {
  const real = name === 'id' ? [targets.runId, targets.approvalId, targets.memoryId] : ['crm', 'mailer'];
  // The id of the route's own kind most often, so that requests get past "not found".
  const own = template.startsWith('/runs')
    ? targets.runId
    : template.startsWith('/approvals')
      ? targets.approvalId
      : template.startsWith('/memory')
        ? targets.memoryId
        : 'crm';
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant(own) },
    { weight: 2, arbitrary: fc.constantFrom(...real) },
    { weight: 2, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES) },
    { weight: 1, arbitrary: fc.constantFrom('..', '.', '%2e%2e', '%zz', '%00', '\u0000', ' ') },
    { weight: 2, arbitrary: huge },
    { weight: 2, arbitrary: unicode },
    { weight: 2, arbitrary: ascii },
    { weight: 1, arbitrary: fc.constantFrom(...real).map((id) => `${id}-s1`) },
  );
}

/** Encodes a segment the way a client might: mostly percent-encoded, sometimes raw when Node allows it. */
function encodeSegment(raw: string, encode: boolean): string {
  // Node refuses to send characters outside \u0021-\u00ff on the request line.
  if (!encode && /^[\u0021-\u00ff]*$/.test(raw) && !raw.includes('/') && !raw.includes('?')) return raw;
  return encodeURIComponent(raw);
}

const headerName = fc.oneof(
  fc.constantFrom(...PROTOTYPE_NAMES),
  fc.constantFrom(
    'content-type',
    'idempotency-key',
    'x-slack-retry-num',
    'host',
    'cookie',
    'x-forwarded-for',
  ),
  fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,20}$/),
);
// Header values: what Node sends without refusing (no CR/LF, no control characters).
const headerValue = fc.oneof(
  fc.constantFrom(...PROTOTYPE_NAMES),
  fc.stringMatching(/^[\x20-\x7e]{0,60}$/).map((s) => s.trim()),
);

const queryName = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES) },
  {
    weight: 2,
    arbitrary: fc.constantFrom('status', 'limit', 'token', 'q', 'namespace', 'k', 'kind', 'since', 'tier'),
  },
  { weight: 2, arbitrary: unicode },
);
const queryValue = fc.oneof(
  fc.constantFrom(...PROTOTYPE_NAMES),
  fc.constantFrom('operator', 'customer:acme', 'SUCCEEDED', '10', '-1', 'abc', ''),
  unicode,
  huge,
);

const key = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES) },
  { weight: 3, arbitrary: fc.string({ maxLength: 10 }) },
);

/** JSON values with prototype names as keys (JSON.stringify keeps an own `__proto__` property). */
const jsonValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.string({ maxLength: 30 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.array(fc.tuple(key, tie('value')), { maxLength: 5 }).map((entries) => {
      const object: Record<string, unknown> = {};
      for (const [k, v] of entries)
        Object.defineProperty(object, k, { value: v, enumerable: true, writable: true, configurable: true });
      return object;
    }),
  ),
})).value;

const nested = fc.integer({ min: 30, max: 5_000 }).map((depth) => ({
  text: `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
}));

/** A body for the route, near-valid often enough to get past the first check. */
function jsonBody(route: string, targets: FuzzTargets): fc.Arbitrary<unknown> {
  const withParams = fc.oneof(
    jsonValue,
    fc.record({ __proto__: fc.record({ subject: fc.string(), text: fc.string() }) }),
    fc.record({ subject: fc.oneof(fc.string(), jsonValue), text: fc.string() }, { requiredKeys: [] }),
  );
  const shaped: Record<string, fc.Arbitrary<unknown>> = {
    'POST /runs': fc.oneof(
      fc.record({
        workflow: fc.constant('fuzz'),
        input: fc.constant({}),
        mode: fc.constantFrom('live', 'shadow'),
      }),
      fc.record(
        {
          workflow: fc.oneof(fc.constant('fuzz'), fc.constantFrom(...PROTOTYPE_NAMES), fc.string()),
          input: fc.oneof(
            jsonValue,
            // Up to about 900 KB: past what one item of the store can hold.
            fc.integer({ min: 10, max: 150 }).map((k) => ({ text: 'a'.repeat(6_000 * k) })),
          ),
          mode: fc.oneof(fc.constantFrom('live', 'shadow'), fc.string()),
        },
        { requiredKeys: ['workflow'] },
      ),
    ),
    'POST /approvals/{id}/decision': fc.oneof(
      fc.record({ decision: fc.constantFrom('approve', 'reject') }),
      fc.record(
        {
          decision: fc.oneof(fc.constantFrom('approve', 'reject'), jsonValue),
          note: fc.oneof(fc.string(), huge, jsonValue),
          params: withParams,
        },
        { requiredKeys: ['decision'] },
      ),
    ),
    'POST /memory': fc.oneof(
      fc.record({
        namespace: fc.constantFrom('operator', 'customer:acme'),
        kind: fc.constant('fact'),
        text: fc.string({ minLength: 1, maxLength: 200 }),
      }),
      fc.record(
        {
          namespace: fc.oneof(fc.constantFrom('operator', 'customer:acme'), fc.string()),
          kind: fc.oneof(fc.constant('fact'), fc.constantFrom(...PROTOTYPE_NAMES), fc.string()),
          text: fc.oneof(fc.string({ minLength: 1 }), huge),
          id: fc.oneof(fc.constant(targets.memoryId), fc.constantFrom(...PROTOTYPE_NAMES), huge),
          supersedes: fc.oneof(fc.constant(targets.memoryId), fc.string()),
          origin: jsonValue,
        },
        { requiredKeys: ['namespace', 'kind', 'text'] },
      ),
    ),
    'POST /memory/consolidate': fc.record({
      asOf: fc.oneof(
        fc.date().map((d) => d.toISOString()),
        jsonValue,
      ),
    }),
  };
  return fc.oneof({ weight: 4, arbitrary: shaped[route] ?? jsonValue }, { weight: 1, arbitrary: jsonValue });
}

const form = (fields: [string, string][]) => new URLSearchParams(fields).toString();

function slackPayload(targets: FuzzTargets) {
  const user = fc.oneof(fc.constant('U0AIOSOPS'), fc.string());
  const blockAction = fc.record(
    {
      type: fc.constant('block_actions'),
      user: fc.record({ id: user }),
      trigger_id: fc.string(),
      actions: fc.array(
        fc.record({
          action_id: fc.oneof(fc.constantFrom('aios_approve', 'aios_reject', 'aios_edit'), fc.string()),
          value: fc.oneof(fc.constant(targets.approvalId), fc.constantFrom(...PROTOTYPE_NAMES), huge),
        }),
        { maxLength: 2 },
      ),
    },
    { requiredKeys: ['type'] },
  );
  const viewSubmission = fc.record({
    type: fc.constant('view_submission'),
    user: fc.record({ id: user }),
    view: fc.record({
      callback_id: fc.oneof(fc.constant('aios_edit_submit'), fc.string()),
      private_metadata: fc.oneof(fc.constant(targets.approvalId), huge, fc.string()),
      state: fc.record({
        values: fc.dictionary(
          fc.oneof(key, fc.constantFrom('param:subject', 'param:text', 'param:__proto__')),
          fc.dictionary(
            fc.oneof(key, fc.constant('value')),
            fc.record({
              type: fc.constant('plain_text_input'),
              value: fc.oneof(
                fc.string(),
                jsonValue.map((v) => JSON.stringify(v) ?? 'null'),
              ),
            }),
          ),
        ),
      }),
    }),
  });
  return fc.oneof(blockAction, viewSubmission, jsonValue);
}

/** Everything but the body's bytes: JSON, not JSON, huge, nested, form-encoded. */
function bodyArbitrary(route: string, targets: FuzzTargets): fc.Arbitrary<{ text: string; type?: string }> {
  const json = jsonBody(route, targets).map((value) => ({
    text: JSON.stringify(value) ?? 'null',
    type: 'application/json',
  }));
  const variants: fc.Arbitrary<{ text: string; type?: string }>[] = [
    json,
    json,
    json,
    json,
    fc.string().map((text) => ({ text, type: 'application/json' })),
    nested.map(({ text }) => ({ text, type: 'application/json' })),
    fc.constant({ text: `{"a":"${'x'.repeat(1_100_000)}"}`, type: 'application/json' }),
    fc
      .array(fc.tuple(key, fc.oneof(fc.string(), huge)), { maxLength: 4 })
      .map((fields) => ({ text: form(fields), type: 'application/x-www-form-urlencoded' })),
    fc
      .tuple(fc.string(), fc.constantFrom('text/plain', 'application/octet-stream', 'image/png'))
      .map(([text, type]) => ({ text, type })),
  ];
  if (route.endsWith('/link')) {
    variants.push(
      fc
        .record({
          token: fc.oneof(fc.constant(targets.linkToken), fc.string(), huge),
          decision: fc.oneof(fc.constantFrom('approve', 'reject'), fc.string()),
          note: fc.string(),
          extra: fc.array(fc.tuple(key, fc.string()), { maxLength: 3 }),
        })
        .map(({ extra, ...fields }) => ({
          text: form([...Object.entries(fields), ...extra]),
          type: 'application/x-www-form-urlencoded',
        })),
    );
  }
  if (route.startsWith('POST /slack')) {
    variants.push(
      slackPayload(targets).map((payload) => ({
        text: form([['payload', JSON.stringify(payload) ?? 'null']]),
        type: 'application/x-www-form-urlencoded',
      })),
    );
  }
  return fc.oneof(...variants);
}

/** One request: a served route (or a random path), its parameters, query, headers, auth and body. */
export function requestArbitrary(targets: FuzzTargets): fc.Arbitrary<FuzzRequest> {
  const routes = targets.runtime.routes;
  const fromRoute = fc
    .constantFrom(...routes)
    .chain((route) => {
      const names = [...route.path.matchAll(/\{([A-Za-z0-9_]+)\+?\}/g)].map((m) => m[1] as string);
      const label = `${route.method} ${route.path}`;
      return fc.record({
        label: fc.constant(label),
        method: fc.oneof(
          { weight: 8, arbitrary: fc.constant(route.method) },
          fc.constantFrom(...HTTP_METHODS),
        ),
        template: fc.constant(route.path),
        params: fc.tuple(
          ...names.map((name) => fc.tuple(fc.constant(name), idArbitrary(targets, route.path, name))),
        ),
        encode: fc.boolean(),
        // Mostly a body where the route takes one, mostly none where it does not.
        body: fc.oneof(
          { weight: route.method === 'POST' ? 1 : 6, arbitrary: fc.constant(null) },
          { weight: route.method === 'POST' ? 6 : 1, arbitrary: bodyArbitrary(label, targets) },
        ),
        signed: fc.boolean(),
      });
    })
    .map(({ label, method, template, params, encode, body, signed }) => {
      let path = template;
      for (const [name, value] of params as [string, string][]) {
        path = path.replace(new RegExp(`\\{${name}\\+?\\}`), encodeSegment(value, encode));
      }
      return { label, method, path, body, signed };
    });
  const randomPath = fc
    .record({
      segments: fc.array(fc.oneof(fc.constantFrom('runs', 'approvals', 'memory', '..', ''), ascii), {
        maxLength: 5,
      }),
      method: fc.constantFrom(...HTTP_METHODS),
      body: fc.option(bodyArbitrary('random', targets), { freq: 4 }),
    })
    .map(({ segments, method, body }) => ({
      label: 'random',
      method,
      path: `/${segments.map((s) => encodeSegment(s, false)).join('/')}`,
      body,
      signed: false,
    }));

  return fc
    .record({
      target: fc.oneof({ weight: 6, arbitrary: fromRoute }, { weight: 1, arbitrary: randomPath }),
      query: fc.oneof(
        fc.constant([]),
        fc.array(fc.tuple(queryName, queryValue), { maxLength: 4 }),
        // What GET /memory/search needs, and other routes ignore.
        fc
          .tuple(
            fc.string({ minLength: 1, maxLength: 20 }),
            fc.array(fc.tuple(queryName, queryValue), { maxLength: 2 }),
          )
          .map(([q, extra]): [string, string][] => [['q', q], ['namespace', 'operator'], ...extra]),
        // What the magic link carries.
        fc
          .array(fc.tuple(queryName, queryValue), { maxLength: 2 })
          .map((extra): [string, string][] => [['token', targets.linkToken], ...extra]),
      ),
      extraHeaders: fc.oneof(fc.constant([]), fc.array(fc.tuple(headerName, headerValue), { maxLength: 4 })),
      auth: fc.oneof(
        { weight: 4, arbitrary: fc.constant('token') },
        { weight: 1, arbitrary: fc.constantFrom('none', 'wrong', 'malformed') },
      ),
    })
    .map(({ target, query, extraHeaders, auth }) => {
      const search = query.length > 0 ? `?${new URLSearchParams(query).toString()}` : '';
      const headers: [string, string][] = [];
      if (auth === 'token') headers.push(['authorization', `Bearer ${targets.runtime.apiToken}`]);
      if (auth === 'wrong') headers.push(['authorization', `Bearer ${'0'.repeat(64)}`]);
      if (auth === 'malformed') headers.push(['authorization', 'Basic Zm9vOmJhcg==']);
      let body: Buffer | undefined;
      if (target.body) {
        body = Buffer.from(target.body.text, 'utf8');
        if (target.body.type) headers.push(['content-type', target.body.type]);
        if (target.signed) {
          const timestamp = Math.floor(Date.now() / 1000);
          headers.push(['x-slack-request-timestamp', String(timestamp)]);
          headers.push([
            'x-slack-signature',
            signSlackRequest(targets.runtime.slackSigningSecret, timestamp, body),
          ]);
        }
      }
      headers.push(...extraHeaders);
      return { method: target.method, path: `${target.path}${search}`, route: target.label, headers, body };
    });
}

/** Sends the request exactly as built (no URL normalisation, headers as given). */
export function send(baseUrl: string, request: FuzzRequest): Promise<{ status: number; body: string }> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const flat = request.headers.flat();
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: request.method,
        path: request.path,
        // Raw headers: Node adds no Host of its own, and HTTP/1.1 needs one.
        headers: [
          'host',
          url.host,
          ...flat,
          ...(request.body ? ['content-length', String(request.body.length)] : []),
        ],
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    // The server may answer 413 and close before the whole body is written.
    req.on('error', (error: NodeJS.ErrnoException) =>
      ['EPIPE', 'ECONNRESET'].includes(error.code ?? '') ? undefined : reject(error),
    );
    req.end(request.body);
  });
}

/** Every item of every table of the embedded store, plus every outbox file: what a request could change. */
export async function snapshotState(runtime: LocalRuntime, outboxDir: string): Promise<string> {
  const tables = (await runtime.db.client.send(new ListTablesCommand({}))).TableNames ?? [];
  const parts = await Promise.all([...tables].sort().map((table) => scanTable(runtime, table)));
  for (const file of listFiles(outboxDir)) {
    const digest = createHash('sha256').update(readFileSync(file)).digest('hex');
    parts.push(`${file} ${digest}`);
  }
  return parts.join('\n');
}

async function scanTable(runtime: LocalRuntime, table: string): Promise<string> {
  const items: string[] = [];
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await runtime.db.client.send(
      new ScanCommand({ TableName: table, ExclusiveStartKey: startKey }),
    );
    for (const item of page.Items ?? []) items.push(JSON.stringify(sortKeys(item)));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return `${table}\n${items.sort().join('\n')}`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  );
}

function listFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.sort().flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

/** A short description of a request for a failure message (bodies and long ids cut). */
export function describeRequest(request: FuzzRequest): string {
  const cut = (text: string) => (text.length > 200 ? `${text.slice(0, 200)}…(${text.length} chars)` : text);
  return JSON.stringify({
    route: request.route,
    method: request.method,
    path: cut(request.path),
    headers: request.headers.map(([name, value]) => [name, cut(value)]),
    body: request.body ? cut(request.body.toString('utf8')) : undefined,
  });
}
