import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createApiApp } from '../../../functions/app.ts';
import type { Orchestrator } from '../../../functions/core/ports.ts';
import { shippedCatalog } from '../../../functions/shipped-playbooks.ts';
import { fixedClock } from '../../support/fixtures.ts';
import { lambdaFor } from '../../support/http-lambda.ts';
import { createMemoryRunStartClaims } from '../../support/memory-run-start-claims.ts';
import { createMemoryStateStore } from '../../support/memory-state-store.ts';

const input = {
  customerId: 'acme',
  name: 'Acme',
  email: 'a@acme.example',
  setupFee: 10,
  crmWebhookUrl: 'http://127.0.0.1:9/crm',
};

function postRuns(
  body: unknown,
  headers: Record<string, string> = {},
  multiValueHeaders: Record<string, string[]> = {},
): APIGatewayProxyEvent {
  return {
    httpMethod: 'POST',
    resource: '/runs',
    path: '/runs',
    body: JSON.stringify(body),
    headers,
    multiValueHeaders,
    isBase64Encoded: false,
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: { requestId: 'req-1' } as APIGatewayProxyEvent['requestContext'],
  };
}

function setup() {
  const store = createMemoryStateStore();
  const claims = createMemoryRunStartClaims();
  const started: string[] = [];
  const orchestrator: Orchestrator = {
    async stopRun() {},
    async startRun(runId) {
      started.push(runId);
    },
    async execution(runId) {
      return started.includes(runId) ? { status: 'RUNNING' } : undefined;
    },
    async history() {
      return [];
    },
  };
  const handler = lambdaFor(
    createApiApp({
      store,
      catalog: shippedCatalog,
      orchestrator,
      claims,
      clock: fixedClock(),
      deadLetters: { list: async () => [], redrive: async () => ({ moved: 0 }) },
    }),
  );
  const call = async (event: APIGatewayProxyEvent) => {
    const result = await handler(event);
    return { status: result.statusCode, headers: result.headers ?? {}, body: JSON.parse(result.body) };
  };
  return { store, claims, started, call };
}

describe('POST /runs with an Idempotency-Key header', () => {
  it('answers 202 first, then 200 with the same run and Idempotent-Replayed, whatever the header casing', async () => {
    const { store, call } = setup();
    const first = await call(postRuns({ workflow: 'onboarding', input }, { 'Idempotency-Key': 'k-1' }));
    const again = await call(postRuns({ workflow: 'onboarding', input }, { 'idempotency-key': 'k-1' }));
    expect(first).toMatchObject({ status: 202, body: { status: 'QUEUED', workflow: 'onboarding' } });
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(again).toMatchObject({
      status: 200,
      headers: { 'idempotent-replayed': 'true' },
      body: { runId: first.body.runId, status: 'QUEUED' },
    });
    expect(await store.listRuns()).toHaveLength(1);
  });

  it('answers 422 for the same key with a different body, and writes nothing', async () => {
    const { store, claims, started, call } = setup();
    const first = await call(postRuns({ workflow: 'onboarding', input }, { 'Idempotency-Key': 'k-2' }));
    const other = await call(
      postRuns({ workflow: 'onboarding', input: { ...input, name: 'Other' } }, { 'Idempotency-Key': 'k-2' }),
    );
    expect(other).toMatchObject({
      status: 422,
      body: {
        message: expect.stringMatching(`already started run ${first.body.runId} with a different request`),
      },
    });
    expect(await store.listRuns()).toHaveLength(1);
    expect(claims.held.size).toBe(1);
    expect(started).toEqual([first.body.runId]);
  });

  it.each([
    ['empty', ''],
    ['longer than 255 characters', 'k'.repeat(256)],
    ['not printable', 'line\nbreak'],
    ['not ASCII', 'clé'],
  ])('answers 400 naming the header when the key is %s, and writes nothing', async (_what, key) => {
    const { store, claims, call } = setup();
    const response = await call(postRuns({ workflow: 'onboarding', input }, { 'Idempotency-Key': key }));
    expect(response).toMatchObject({
      status: 400,
      body: {
        message: expect.stringMatching(/^header Idempotency-Key .*\(1 to 255 printable ASCII characters\)$/),
        issues: [{ path: 'headers.Idempotency-Key' }],
      },
    });
    expect(await store.listRuns()).toEqual([]);
    expect(claims.held.size).toBe(0);
  });

  it('answers 400 when the key is sent twice', async () => {
    const { call } = setup();
    const response = await call(
      postRuns(
        { workflow: 'onboarding', input },
        { 'Idempotency-Key': 'b' },
        { 'Idempotency-Key': ['a', 'b'] },
      ),
    );
    expect(response).toMatchObject({
      status: 400,
      body: { message: 'send one Idempotency-Key header, not several' },
    });
  });

  it('takes a key of 255 printable characters', async () => {
    const { call } = setup();
    const key = `${' !~'.repeat(84)}abc`;
    expect(key).toHaveLength(255);
    expect((await call(postRuns({ workflow: 'onboarding', input }, { 'Idempotency-Key': key }))).status).toBe(
      202,
    );
  });
});
