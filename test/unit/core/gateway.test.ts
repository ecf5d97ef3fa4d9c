import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { stateUpsertConnector } from '../../../functions/connectors/state-upsert.ts';
import { createHmacGrantSigner, mintGrant } from '../../../functions/core/capability.ts';
import { type Connector, catalogueOf } from '../../../functions/core/connector.ts';
import {
  CapabilityRejectedError,
  ConnectorUnavailableError,
  OutcomeUnknownError,
  PermanentConnectorError,
  RateLimitedError,
  TransientConnectorError,
} from '../../../functions/core/errors.ts';
import { createGateway, type GatewayLimits, type GatewayRequest } from '../../../functions/core/gateway.ts';
import { idempotencyKeyFor } from '../../../functions/core/idempotency-key.ts';
import {
  createInMemoryCircuitBreaker,
  createInMemoryRateLimiter,
} from '../../../functions/core/limits/in-memory.ts';
import type { Intent } from '../../../functions/core/schemas.ts';
import { fixedClock, runFixture } from '../../support/fixtures.ts';
import { createMemoryStateStore } from '../../support/memory-state-store.ts';

const RUN = 'r1';
const key = idempotencyKeyFor(RUN, 0, 'create-customer');
const NOW = new Date('2026-11-25T10:00:00.000Z');
const signer = createHmacGrantSigner(async () => 'k'.repeat(64));
const caller = { agent: 'executor', grantId: 'g1' };

const intent = (overrides: Partial<Intent> = {}): Intent => ({
  runId: RUN,
  stepIndex: 0,
  stepId: 'create-customer',
  title: 'Create the customer',
  action: {
    type: 'state.upsert',
    params: { entityType: 'customer', entityId: 'acme', data: { name: 'Acme' } },
  },
  idempotencyKey: key,
  status: 'RECORDED',
  decision: 'allow',
  reason: 'allowed',
  attempts: 0,
  recordedAt: NOW.toISOString(),
  ...overrides,
});

function scripted(
  script: ('ok' | 'transient' | 'permanent' | 'unknown')[],
  options: { idempotent?: boolean } = {},
) {
  const connector: Connector & { calls: number } = {
    type: 'state.upsert',
    paramsSchema: z.record(z.string(), z.unknown()),
    risk: 'write',
    undoable: false,
    idempotent: options.idempotent ?? true,
    calls: 0,
    async execute() {
      const step = script[connector.calls] ?? 'ok';
      connector.calls += 1;
      if (step === 'transient') throw new TransientConnectorError('503 from provider');
      if (step === 'permanent') throw new PermanentConnectorError('404 from provider');
      if (step === 'unknown')
        throw new OutcomeUnknownError('the connection dropped after the request was sent');
      return { done: true };
    },
  };
  return connector;
}

async function setup(
  options: {
    connectors?: Connector[];
    intent?: Partial<Intent>;
    mode?: 'live' | 'shadow';
    limits?: GatewayLimits;
  } = {},
) {
  const store = createMemoryStateStore();
  await store.createRun(runFixture({ runId: RUN, mode: options.mode ?? 'live' }));
  await store.recordIntent(intent(options.intent));
  const limiter = createInMemoryRateLimiter();
  const breaker = createInMemoryCircuitBreaker();
  const gateway = createGateway({
    store,
    connectors: catalogueOf(options.connectors ?? [stateUpsertConnector(store)]),
    clock: fixedClock(NOW.toISOString()),
    signer,
    limiter,
    breaker,
    limitsOf: () => options.limits,
  });
  const grant = await mintGrant(
    signer,
    { agent: 'executor', workflow: 'onboarding', runId: RUN, stepIndex: 0, actions: ['state.upsert'] },
    NOW,
  );
  const request: GatewayRequest = {
    runId: RUN,
    stepIndex: 0,
    idempotencyKey: key,
    action: intent(options.intent).action,
    grant,
  };
  return { store, gateway, request, breaker };
}

describe('gateway: capability grants', () => {
  it('accepts the grant the orchestrator minted for this step', async () => {
    const { gateway, request } = await setup();
    await expect(gateway.authorize(request)).resolves.toMatchObject({ agent: 'executor' });
  });

  it.each([
    ['forged', async (grant: string) => `${grant.split('.')[0]}.${'A'.repeat(43)}`, /signature is not valid/],
    [
      'expired',
      async () =>
        mintGrant(
          signer,
          { agent: 'executor', workflow: 'w', runId: RUN, stepIndex: 0, actions: ['state.upsert'] },
          new Date(NOW.getTime() - 2 * 3600_000),
        ),
      /expired at/,
    ],
    [
      'for another step',
      async () =>
        mintGrant(
          signer,
          { agent: 'executor', workflow: 'w', runId: RUN, stepIndex: 1, actions: ['state.upsert'] },
          NOW,
        ),
      /is for run r1 step 1, not run r1 step 0/,
    ],
    [
      'for another action',
      async () =>
        mintGrant(
          signer,
          { agent: 'executor', workflow: 'w', runId: RUN, stepIndex: 0, actions: ['http.request'] },
          NOW,
        ),
      /covers http\.request, not state\.upsert/,
    ],
    [
      'signed with another key',
      async () =>
        mintGrant(
          createHmacGrantSigner(async () => 'x'.repeat(64)),
          { agent: 'e', workflow: 'w', runId: RUN, stepIndex: 0, actions: ['state.upsert'] },
          NOW,
        ),
      /signature/,
    ],
    ['garbage', async () => 'not-a-grant', /malformed/],
  ])('rejects a %s grant, audits why, and has no effect', async (_name, makeGrant, reason) => {
    const { gateway, request, store } = await setup();
    const forged = { ...request, grant: await makeGrant(request.grant) };
    await expect(gateway.authorize(forged)).rejects.toThrow(CapabilityRejectedError);
    const audit = await store.listAudit(RUN);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ outcome: 'rejected', actionType: 'state.upsert' });
    expect(audit[0]?.reason).toMatch(reason);
    expect(await store.getEntity('customer', 'acme')).toBeUndefined();
  });
});

describe('gateway: exactly one effect', () => {
  it('refuses an effect when no intent is recorded', async () => {
    const { gateway, request, store } = await setup();
    await expect(gateway.execute({ ...request, stepIndex: 3 }, caller)).rejects.toThrow(
      /no intent is recorded/,
    );
    expect((await store.listAudit(RUN)).map((a) => a.outcome)).toEqual(['rejected']);
  });

  it('executes once: a repeat returns the recorded result, audited as replayed, with no second version', async () => {
    const { gateway, request, store } = await setup();
    const first = await gateway.execute(request, caller);
    const second = await gateway.execute(request, caller);
    expect(second).toEqual(first);
    expect(store.entityVersions.get('customer#acme')).toHaveLength(1);
    expect((await store.listAudit(RUN)).map((a) => [a.outcome, a.agent, a.grantId])).toEqual([
      ['executed', 'executor', 'g1'],
      ['replayed', 'executor', 'g1'],
    ]);
  });

  it('an idempotent connector left EXECUTING by a crash runs again and finds its own write', async () => {
    const { gateway, request, store } = await setup();
    await stateUpsertConnector(store).execute(
      { entityType: 'customer', entityId: 'acme', data: { name: 'Acme' }, merge: true },
      { idempotencyKey: key, runId: RUN, stepIndex: 0, now: NOW },
    );
    await store.updateIntent(RUN, 0, ['RECORDED'], { status: 'EXECUTING', attempts: 1 });
    const result = await gateway.execute(request, caller);
    expect(result.output).toMatchObject({ replayed: true, version: 1 });
    expect(store.entityVersions.get('customer#acme')).toHaveLength(1);
  });

  it('a connector that cannot repeat safely, found EXECUTING after a crash, goes to the operator: outcome unknown', async () => {
    const connector = scripted(['ok'], { idempotent: false });
    const { gateway, request, store } = await setup({
      connectors: [connector],
      intent: { status: 'EXECUTING', attempts: 1 },
    });
    await expect(gateway.execute(request, caller)).rejects.toThrow(OutcomeUnknownError);
    expect(connector.calls).toBe(0);
    expect((await store.getIntent(RUN, 0))?.status).toBe('OUTCOME_UNKNOWN');
    expect((await store.listAudit(RUN)).map((a) => a.outcome)).toEqual(['outcome-unknown']);
  });

  it('a connector that says its outcome is unknown is not retried', async () => {
    const { gateway, request, store } = await setup({
      connectors: [scripted(['unknown'], { idempotent: false })],
    });
    await expect(gateway.execute(request, caller)).rejects.toThrow(OutcomeUnknownError);
    expect((await store.getIntent(RUN, 0))?.status).toBe('OUTCOME_UNKNOWN');
    await expect(gateway.execute(request, caller)).rejects.toThrow(/OUTCOME_UNKNOWN/);
  });

  it('uses the recorded action, not the message, so a tampered message cannot change the effect', async () => {
    const { gateway, request, store } = await setup();
    await gateway.execute(
      {
        ...request,
        action: { type: 'state.upsert', params: { entityType: 'customer', entityId: 'evil', data: {} } },
      },
      caller,
    );
    expect(await store.getEntity('customer', 'evil')).toBeUndefined();
    expect(await store.getEntity('customer', 'acme')).toBeDefined();
  });

  it('rejects a message whose idempotency key or action type is not the intent’s', async () => {
    const { gateway, request } = await setup();
    await expect(gateway.execute({ ...request, idempotencyKey: 'aios-other' }, caller)).rejects.toThrow(
      /does not match/,
    );
    await expect(
      gateway.execute({ ...request, action: { type: 'http.request', params: {} } }, caller),
    ).rejects.toThrow(/asks for http\.request, the recorded intent is state\.upsert/);
  });

  it('rejects an unknown action type with a reason in the audit log', async () => {
    const { gateway, request, store } = await setup({
      intent: { action: { type: 'payments.send', params: {} } },
    });
    await expect(gateway.execute(request, caller)).rejects.toThrow(/no connector handles payments\.send/);
    expect((await store.listAudit(RUN))[0]).toMatchObject({
      outcome: 'rejected',
      reason: 'no connector handles payments.send',
    });
  });

  it('fails a step whose parameters break the connector schema, naming the field, with no effect', async () => {
    const { gateway, request, store } = await setup({
      intent: { action: { type: 'state.upsert', params: { entityType: 'Customer!', data: {} } } },
    });
    await expect(gateway.execute(request, caller)).rejects.toThrow(/entityType.*entityId|entityId/);
    expect((await store.getIntent(RUN, 0))?.status).toBe('FAILED');
    expect((await store.listAudit(RUN))[0]?.reason).toMatch(
      /parameters of state\.upsert is invalid: entityType/,
    );
    expect(await store.getEntity('customer', 'Customer!')).toBeUndefined();
  });

  it('puts a transient failure back to RECORDED and a permanent one to FAILED, auditing each', async () => {
    const transient = await setup({ connectors: [scripted(['transient', 'ok'])] });
    await expect(transient.gateway.execute(transient.request, caller)).rejects.toThrow(
      TransientConnectorError,
    );
    expect((await transient.store.getIntent(RUN, 0))?.status).toBe('RECORDED');
    await expect(transient.gateway.execute(transient.request, caller)).resolves.toMatchObject({
      ok: true,
      attempts: 2,
    });
    expect((await transient.store.listAudit(RUN)).map((a) => a.outcome)).toEqual(['retrying', 'executed']);

    const permanent = await setup({ connectors: [scripted(['permanent'])] });
    await expect(permanent.gateway.execute(permanent.request, caller)).rejects.toThrow(
      PermanentConnectorError,
    );
    expect((await permanent.store.getIntent(RUN, 0))?.status).toBe('FAILED');
  });

  it('in shadow mode records the proposal and runs nothing', async () => {
    const connector = scripted(['ok']);
    const { gateway, request, store } = await setup({ connectors: [connector], mode: 'shadow' });
    const result = await gateway.execute(request, caller);
    expect(result.output).toMatchObject({ shadow: true, proposed: { type: 'state.upsert' } });
    expect(connector.calls).toBe(0);
    expect((await store.getIntent(RUN, 0))?.status).toBe('SHADOWED');
    expect((await store.listAudit(RUN)).map((a) => a.outcome)).toEqual(['shadowed']);
  });
});

describe('gateway: rate limit and circuit breaker', () => {
  const limits: GatewayLimits = {
    rateLimit: { ratePerSecond: 1, burst: 1 },
    breaker: { failureThreshold: 2, windowSeconds: 60, openSeconds: 30 },
  };

  it('throttles when the bucket is empty, without touching the intent', async () => {
    const { gateway, request, store } = await setup({ connectors: [scripted(['transient', 'ok'])], limits });
    await expect(gateway.execute(request, caller)).rejects.toThrow(TransientConnectorError);
    await expect(gateway.execute(request, caller)).rejects.toThrow(RateLimitedError);
    expect((await store.getIntent(RUN, 0))?.status).toBe('RECORDED');
    expect((await store.listAudit(RUN)).map((a) => a.outcome)).toEqual(['retrying', 'throttled']);
  });

  it('opens the breaker after repeated failures and then refuses without calling the connector', async () => {
    const connector = scripted(['transient', 'transient', 'ok']);
    const { gateway, request, store } = await setup({
      connectors: [connector],
      limits: { ...limits, rateLimit: { ratePerSecond: 100, burst: 100 } },
    });
    await expect(gateway.execute(request, caller)).rejects.toThrow(TransientConnectorError);
    await expect(gateway.execute(request, caller)).rejects.toThrow(TransientConnectorError);
    await expect(gateway.execute(request, caller)).rejects.toThrow(ConnectorUnavailableError);
    expect(connector.calls).toBe(2);
    expect((await store.listAudit(RUN)).at(-1)).toMatchObject({ outcome: 'breaker-open' });
  });
});
