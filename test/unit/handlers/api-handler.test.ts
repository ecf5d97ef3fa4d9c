import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { MAX_JSON_BODY_BYTES } from '../../../functions/api/request-input.ts';
import { createApiApp } from '../../../functions/app.ts';
import type { DeadLetters, Orchestrator, StateStore } from '../../../functions/core/ports.ts';
import { shippedCatalog } from '../../../functions/shipped-playbooks.ts';
import { fixedClock } from '../../support/fixtures.ts';
import { lambdaFor } from '../../support/http-lambda.ts';
import { createMemoryRunStartClaims } from '../../support/memory-run-start-claims.ts';
import { createMemoryStateStore } from '../../support/memory-state-store.ts';

function event(
  method: string,
  resource: string,
  overrides: Partial<APIGatewayProxyEvent> = {},
): APIGatewayProxyEvent {
  return {
    httpMethod: method,
    resource,
    path: resource,
    body: null,
    headers: {},
    multiValueHeaders: {},
    isBase64Encoded: false,
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: { requestId: 'req-1' } as APIGatewayProxyEvent['requestContext'],
    ...overrides,
  };
}

const validInput = {
  customerId: 'acme',
  name: 'Acme',
  email: 'a@acme.example',
  setupFee: 10,
  crmWebhookUrl: 'http://127.0.0.1:9/crm',
};

function setup(store: StateStore = createMemoryStateStore()) {
  const started: string[] = [];
  const orchestrator: Orchestrator = {
    async stopRun() {},
    async startRun(runId) {
      started.push(runId);
    },
    async execution(runId) {
      return started.includes(runId) ? { status: 'RUNNING' } : undefined;
    },
    async history(runId) {
      return [{ id: 1, timestamp: '2026-11-25T10:00:00.000Z', type: 'ExecutionStarted', stateName: runId }];
    },
  };
  const deadLetters: DeadLetters = {
    list: async (limit) =>
      [{ messageId: 'm1', receiveCount: 5, sentAt: '2026-11-25T09:00:00.000Z', summary: '{}' }].slice(
        0,
        limit,
      ),
    redrive: async () => ({ moved: 1 }),
  };
  const handler = lambdaFor(
    createApiApp({
      store,
      catalog: shippedCatalog,
      orchestrator,
      claims: createMemoryRunStartClaims(),
      clock: fixedClock(),
      deadLetters,
    }),
  );
  const call = async (e: APIGatewayProxyEvent) => {
    const result = await handler(e);
    return { status: result.statusCode, body: JSON.parse(result.body) };
  };
  return { store, started, call };
}

describe('API handler', () => {
  it('POST /runs writes the run record before starting the orchestrator, and answers 202', async () => {
    const { store, started, call } = setup();
    const response = await call(
      event('POST', '/runs', { body: JSON.stringify({ workflow: 'onboarding', input: validInput }) }),
    );
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ status: 'QUEUED', workflow: 'onboarding', mode: 'live' });
    expect(started).toEqual([response.body.runId]);
    expect(await store.getRun(response.body.runId)).toMatchObject({
      budget: { maxUsd: 0.5 },
      input: validInput,
    });
  });

  it('answers 400 naming the field when the body breaks the schema, and changes nothing', async () => {
    const { store, started, call } = setup();
    const response = await call(
      event('POST', '/runs', { body: JSON.stringify({ workflow: 'Onboarding!', mode: 'fast' }) }),
    );
    expect(response.status).toBe(400);
    expect(response.body.message).toMatch(/^request body is invalid: workflow: .*; mode: /);
    expect(response.body.issues.map((i: { path: string }) => i.path)).toEqual(['workflow', 'mode']);
    expect(started).toEqual([]);
    expect(await store.listRuns()).toEqual([]);
  });

  it('answers 400 for a body that is not JSON and for missing required input', async () => {
    const { call } = setup();
    expect((await call(event('POST', '/runs', { body: '{nope' }))).body.message).toBe(
      'request body is not valid JSON',
    );
    const missing = await call(
      event('POST', '/runs', { body: JSON.stringify({ workflow: 'onboarding', input: { name: 'x' } }) }),
    );
    expect(missing).toMatchObject({
      status: 400,
      body: { message: expect.stringMatching(/input\.customerId is required; input\.email is required/) },
    });
  });

  it('answers 404 for an unknown workflow or run, and 400 for a bad query', async () => {
    const { call } = setup();
    expect(
      (await call(event('POST', '/runs', { body: JSON.stringify({ workflow: 'payroll' }) }))).status,
    ).toBe(404);
    expect((await call(event('GET', '/runs/{id}', { pathParameters: { id: 'nope' } }))).status).toBe(404);
    const badQuery = await call(event('GET', '/runs', { queryStringParameters: { limit: '0' } }));
    expect(badQuery).toMatchObject({
      status: 400,
      body: { message: expect.stringMatching(/^query is invalid: limit/) },
    });
  });

  it('answers 413 for a JSON body larger than a record of the store could carry, and starts nothing', async () => {
    const { store, started, call } = setup();
    const input = { ...validInput, notes: 'x'.repeat(MAX_JSON_BODY_BYTES) };
    const response = await call(
      event('POST', '/runs', { body: JSON.stringify({ workflow: 'onboarding', input }) }),
    );
    expect(response).toMatchObject({
      status: 413,
      body: { message: `request body is larger than ${MAX_JSON_BODY_BYTES} bytes` },
    });
    expect(started).toEqual([]);
    expect(await store.listRuns()).toEqual([]);
  });

  it('hides internals behind a generic 500', async () => {
    const broken = createMemoryStateStore();
    broken.listRuns = async () => {
      throw new Error('connection string postgres://secret@db');
    };
    const { call } = setup(broken);
    const response = await call(event('GET', '/runs'));
    expect(response.status).toBe(500);
    expect(JSON.stringify(response.body)).not.toMatch(/secret/);
    expect(response.body.requestId).toBe('req-1');
  });

  it('GET /runs/{id}/history returns the execution events of a known run, 404 for an unknown one', async () => {
    const { call } = setup();
    const created = await call(
      event('POST', '/runs', { body: JSON.stringify({ workflow: 'onboarding', input: validInput }) }),
    );
    const runId = created.body.runId as string;
    const history = await call(event('GET', '/runs/{id}/history', { pathParameters: { id: runId } }));
    expect(history).toMatchObject({
      status: 200,
      body: { runId, events: [{ type: 'ExecutionStarted', stateName: runId }] },
    });
    expect((await call(event('GET', '/runs/{id}/history', { pathParameters: { id: 'nope' } }))).status).toBe(
      404,
    );
  });
});
