import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { stateUpsertConnector } from '../../../functions/connectors/state-upsert.ts';
import { createHmacGrantSigner, mintGrant } from '../../../functions/core/capability.ts';
import { type Connector, type ConnectorContext, catalogueOf } from '../../../functions/core/connector.ts';
import {
  AttemptNotStartedError,
  CapabilityRejectedError,
  ConnectorUnavailableError,
  LeaseLostError,
  OutcomeUnknownError,
  PermanentConnectorError,
  RateLimitedError,
  TransientConnectorError,
} from '../../../functions/core/errors.ts';
import {
  attemptWindow,
  createGateway,
  type GatewayLimits,
  type GatewayRequest,
} from '../../../functions/core/gateway.ts';
import { idempotencyKeyFor } from '../../../functions/core/idempotency-key.ts';
import {
  createInMemoryCircuitBreaker,
  createInMemoryRateLimiter,
} from '../../../functions/core/limits/in-memory.ts';
import type { Clock, StateStore } from '../../../functions/core/ports.ts';
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
    clock?: Clock;
    /** Wraps the store the gateway sees (the test keeps the plain one). */
    wrapStore?: (store: StateStore) => StateStore;
  } = {},
) {
  const store = createMemoryStateStore();
  await store.createRun(runFixture({ runId: RUN, mode: options.mode ?? 'live' }));
  await store.recordIntent(intent(options.intent));
  const limiter = createInMemoryRateLimiter();
  const breaker = createInMemoryCircuitBreaker();
  const gateway = createGateway({
    store: options.wrapStore?.(store) ?? store,
    connectors: catalogueOf(options.connectors ?? [stateUpsertConnector(store)]),
    clock: options.clock ?? fixedClock(NOW.toISOString()),
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

  it('records a success with two writes of its own: the claim, then the result with its audit and journal entries in one commit', async () => {
    const writes: string[] = [];
    const { gateway, request, store } = await setup({
      // The gateway's writes only: the connector writes its entity through the plain store.
      wrapStore: (plain) => {
        const counted: StateStore = { ...plain };
        for (const method of [
          'claimIntent',
          'updateIntent',
          'updateIntentWithLogs',
          'appendAudit',
          'appendJournal',
        ] as const) {
          counted[method] = ((...args: unknown[]) => {
            writes.push(method);
            return (plain[method] as (...a: unknown[]) => unknown)(...args);
          }) as never;
        }
        return counted;
      },
    });
    await gateway.execute(request, caller);
    expect(writes).toEqual(['claimIntent', 'updateIntentWithLogs']);
    expect((await store.getIntent(RUN, 0))?.status).toBe('SUCCEEDED');
    expect((await store.listAudit(RUN)).map((a) => a.outcome)).toEqual(['executed']);
    expect((await store.listJournal(RUN)).map((e) => e.message)).toEqual([
      'step 1 create-customer: state.upsert done (attempt 1)',
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

  it('refuses an action of a cancelled run that was already on the queue: no effect, the refusal audited', async () => {
    const connector = scripted(['ok']);
    const { gateway, request, store } = await setup({ connectors: [connector] });
    await store.updateRun(RUN, ['RUNNING'], { status: 'CANCELLED' });
    await expect(gateway.execute(request, caller)).rejects.toThrow(/run r1 was cancelled/);
    expect(connector.calls).toBe(0);
    expect((await store.listAudit(RUN)).map((a) => a.outcome)).toEqual(['rejected']);
  });
});

describe('gateway: a run that has ended', () => {
  it('starts no effect of its plan (a message still queued when its step timed out), audits the refusal and leaves the intent unrun', async () => {
    const connector = scripted(['ok']);
    const { gateway, request, store } = await setup({ connectors: [connector] });
    await store.updateRun(RUN, ['RUNNING'], { status: 'FAILED' });
    await expect(gateway.execute(request, caller)).rejects.toThrow(
      /is FAILED; its step .* may no longer start/,
    );
    expect(connector.calls).toBe(0);
    expect((await store.getIntent(RUN, 0))?.status).toBe('RECORDED');
    expect((await store.listAudit(RUN)).map((a) => a.outcome)).toEqual(['rejected']);
  });

  it('still runs its compensating actions, which come after the end', async () => {
    const connector = scripted(['ok']);
    const { gateway, request, store } = await setup({ connectors: [connector], intent: { compensates: 3 } });
    await store.updateRun(RUN, ['RUNNING'], { status: 'FAILED' });
    await expect(gateway.execute(request, caller)).resolves.toMatchObject({ ok: true });
    expect(connector.calls).toBe(1);
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

  it("closes the breaker when the half-open breaker's probe succeeds", async () => {
    let now = NOW;
    const { gateway, request, breaker } = await setup({
      connectors: [scripted(['transient', 'transient', 'ok'])],
      limits: { ...limits, rateLimit: { ratePerSecond: 100, burst: 100 } },
      clock: { now: () => now },
    });
    await expect(gateway.execute(request, caller)).rejects.toThrow(TransientConnectorError);
    await expect(gateway.execute(request, caller)).rejects.toThrow(TransientConnectorError);
    expect((await breaker.status('state.upsert', now)).state).toBe('open');
    now = new Date(NOW.getTime() + 31_000);
    await expect(gateway.execute(request, caller)).resolves.toMatchObject({ ok: true });
    expect((await breaker.status('state.upsert', now)).state).toBe('closed');
  });

  it("reads a limited connector's breaker with the intent and hands that reading to allow()", async () => {
    const reading = { store: 'state', key: 'state.upsert', item: undefined };
    const reads: string[] = [];
    const { gateway, request, breaker } = await setup({
      connectors: [scripted(['ok'])],
      limits,
      wrapStore: (inner) => ({
        ...inner,
        async getIntentWithRun(runId, stepIndex) {
          reads.push('intent and run');
          return inner.getIntentWithRun(runId, stepIndex);
        },
        async getIntentWithRunAndBreaker(runId, stepIndex, key) {
          reads.push(`intent, run and breaker ${key}`);
          return { ...(await inner.getIntentWithRun(runId, stepIndex)), breaker: reading };
        },
      }),
    });
    const seen: unknown[] = [];
    const allow = breaker.allow.bind(breaker);
    breaker.allow = (key, policy, at, given) => {
      seen.push(given);
      return allow(key, policy, at, given);
    };
    await expect(gateway.execute(request, caller)).resolves.toMatchObject({ ok: true });
    expect(reads).toEqual(['intent, run and breaker state.upsert']);
    expect(seen).toEqual([reading]);

    // A connector without limits has no breaker to read.
    const unlimited = await setup({
      connectors: [scripted(['ok'])],
      wrapStore: (inner) => ({
        ...inner,
        async getIntentWithRunAndBreaker() {
          throw new Error('no breaker to read');
        },
      }),
    });
    await expect(unlimited.gateway.execute(unlimited.request, caller)).resolves.toMatchObject({ ok: true });
  });
});

/** A connector that waits for `release()` (or its deadline), and remembers the context of each call. */
function held(options: { idempotent: boolean }) {
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const contexts: ConnectorContext[] = [];
  const connector: Connector = {
    type: 'state.upsert',
    paramsSchema: z.record(z.string(), z.unknown()),
    risk: 'write',
    undoable: false,
    idempotent: options.idempotent,
    async execute(_params, context) {
      contexts.push(context);
      const signal = context.signal;
      await new Promise<void>((resolve, reject) => {
        void gate.then(resolve);
        signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
      return { done: true };
    },
  };
  return { connector, contexts, release: () => release() };
}

const until = async (check: () => boolean) => {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 1));
};

describe("gateway: the intent's lease and the call's deadline", () => {
  it('a duplicate delivered while an attempt is in its call does not run the effect again', async () => {
    const slow = held({ idempotent: true });
    const { gateway, request, store } = await setup({ connectors: [slow.connector] });
    const first = gateway.execute(request, caller);
    await until(() => slow.contexts.length === 1);
    const leased = await store.getIntent(RUN, 0);
    expect(leased).toMatchObject({ status: 'EXECUTING', attempts: 1, leaseOwner: expect.any(String) });

    await expect(gateway.execute(request, caller)).rejects.toThrow(AttemptNotStartedError);
    slow.release();
    await expect(first).resolves.toMatchObject({ ok: true, attempts: 1 });
    expect(slow.contexts).toHaveLength(1);
    const done = await store.getIntent(RUN, 0);
    expect(done).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    expect(done?.leaseOwner).toBeUndefined();
  });

  it('of two attempts that read the intent at once, only the one whose claim lands first calls the connector', async () => {
    const slow = held({ idempotent: true });
    let readers = 0;
    let bothRead: () => void = () => {};
    const barrier = new Promise<void>((resolve) => {
      bothRead = resolve;
    });
    const { gateway, request } = await setup({
      connectors: [slow.connector],
      // Both attempts read RECORDED before either claims.
      wrapStore: (store) => ({
        ...store,
        async getIntentWithRun(runId, stepIndex) {
          const read = await store.getIntentWithRun(runId, stepIndex);
          readers += 1;
          if (readers === 2) bothRead();
          await barrier;
          return read;
        },
      }),
    });
    const settled = Promise.allSettled([gateway.execute(request, caller), gateway.execute(request, caller)]);
    await until(() => slow.contexts.length === 1);
    slow.release();
    const outcomes = await settled;
    expect(readers).toBe(2);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(outcomes.find((o) => o.status === 'rejected')).toMatchObject({
      reason: expect.any(AttemptNotStartedError),
    });
    expect(slow.contexts).toHaveLength(1);
  });

  it('a claim that comes back after the start-by time is given back, and the effect is left to a redelivery', async () => {
    let now = NOW.getTime();
    const connector = scripted(['ok']);
    const window = attemptWindow(NOW, 10_000);
    const { gateway, request, store } = await setup({
      connectors: [connector],
      clock: { now: () => new Date(now) },
      wrapStore: (inner) => ({
        ...inner,
        async claimIntent(runId, stepIndex, claim) {
          const claimed = await inner.claimIntent(runId, stepIndex, claim);
          now = window.startEffectBy.getTime() + 1; // a starved event loop: the write returned late
          return claimed;
        },
      }),
    });
    await expect(gateway.execute(request, caller, window)).rejects.toThrow(/too little of this attempt/);
    expect(connector.calls).toBe(0);
    const intentNow = await store.getIntent(RUN, 0);
    expect(intentNow).toMatchObject({ status: 'RECORDED', attempts: 0 });
    expect(intentNow?.leaseOwner).toBeUndefined();
  });

  it('an attempt past its start-by time claims nothing', async () => {
    const connector = scripted(['ok']);
    const { gateway, request, store } = await setup({ connectors: [connector] });
    const late = attemptWindow(new Date(NOW.getTime() - 9_000), 10_000);
    await expect(gateway.execute(request, caller, late)).rejects.toThrow(AttemptNotStartedError);
    expect(connector.calls).toBe(0);
    expect(await store.getIntent(RUN, 0)).toMatchObject({ status: 'RECORDED', attempts: 0 });
  });

  it('an EXECUTING intent whose lease is live is left alone even when its connector cannot repeat', async () => {
    const connector = scripted(['ok'], { idempotent: false });
    const leaseExpiresAt = new Date(NOW.getTime() + 5_000).toISOString();
    const { gateway, request, store } = await setup({
      connectors: [connector],
      intent: { status: 'EXECUTING', attempts: 1, leaseOwner: 'other', leaseExpiresAt },
    });
    await expect(gateway.execute(request, caller)).rejects.toThrow(/another attempt holds/);
    expect(connector.calls).toBe(0);
    expect(await store.getIntent(RUN, 0)).toMatchObject({ status: 'EXECUTING', leaseOwner: 'other' });
  });

  it('a redelivery of the message whose earlier receive holds a live lease takes it over at once: that attempt is gone', async () => {
    const connector = scripted(['ok']);
    const leaseExpiresAt = new Date(NOW.getTime() + 5_000).toISOString();
    const { gateway, request, store } = await setup({
      connectors: [connector],
      intent: { status: 'EXECUTING', attempts: 1, leaseOwner: 'm-1#1', leaseExpiresAt },
    });
    const window = attemptWindow(NOW, 10_000);
    // Another message for the same intent (a duplicate) must wait for the lease.
    await expect(
      gateway.execute(request, caller, window, { messageId: 'm-2', receiveCount: 1 }),
    ).rejects.toThrow(AttemptNotStartedError);
    await expect(
      gateway.execute(request, caller, window, { messageId: 'm-1', receiveCount: 2 }),
    ).resolves.toMatchObject({ ok: true, attempts: 2 });
    expect(connector.calls).toBe(1);
    expect(await store.getIntent(RUN, 0)).toMatchObject({ status: 'SUCCEEDED', attempts: 2 });
  });

  it('an idempotent intent whose lease lapsed is taken over and run once more', async () => {
    const connector = scripted(['ok']);
    const leaseExpiresAt = new Date(NOW.getTime() - 1).toISOString();
    const { gateway, request, store } = await setup({
      connectors: [connector],
      intent: { status: 'EXECUTING', attempts: 1, leaseOwner: 'crashed', leaseExpiresAt },
    });
    await expect(gateway.execute(request, caller)).resolves.toMatchObject({ ok: true, attempts: 2 });
    expect(connector.calls).toBe(1);
    expect(await store.getIntent(RUN, 0)).toMatchObject({ status: 'SUCCEEDED', attempts: 2 });
  });

  it('hands the connector a signal that aborts at the deadline: a repeatable call goes back to RECORDED', async () => {
    const slow = held({ idempotent: true });
    const { gateway, request, store } = await setup({ connectors: [slow.connector] });
    const window = { ...attemptWindow(NOW, 10_000), effectDeadline: new Date(NOW.getTime() + 30) };
    await expect(gateway.execute(request, caller, window)).rejects.toThrow(
      /did not finish before its deadline; it is safe to repeat/,
    );
    expect(slow.contexts[0]?.signal?.aborted).toBe(true);
    expect(await store.getIntent(RUN, 0)).toMatchObject({ status: 'RECORDED', attempts: 1 });
  });

  it('a call that cannot repeat safely and is stopped at its deadline is OUTCOME_UNKNOWN, not retried', async () => {
    const slow = held({ idempotent: false });
    const { gateway, request, store } = await setup({ connectors: [slow.connector] });
    const window = { ...attemptWindow(NOW, 10_000), effectDeadline: new Date(NOW.getTime() + 30) };
    await expect(gateway.execute(request, caller, window)).rejects.toThrow(OutcomeUnknownError);
    expect(await store.getIntent(RUN, 0)).toMatchObject({ status: 'OUTCOME_UNKNOWN' });
    expect((await store.listAudit(RUN)).map((a) => a.outcome)).toEqual(['outcome-unknown']);
    await expect(gateway.execute(request, caller)).rejects.toThrow(/OUTCOME_UNKNOWN/);
  });

  it('a result that arrives after another attempt took over the lapsed lease is not written over its claim', async () => {
    let now = NOW.getTime();
    const slow = held({ idempotent: true });
    const window = attemptWindow(NOW, 10_000);
    const { gateway, request, store } = await setup({
      connectors: [slow.connector],
      clock: { now: () => new Date(now) },
    });
    const first = gateway.execute(request, caller, window);
    await until(() => slow.contexts.length === 1);
    // The first attempt's invocation is over; a redelivery claims the intent.
    now = window.leaseUntil.getTime() + 1;
    await store.claimIntent(RUN, 0, {
      owner: 'second',
      leaseExpiresAt: new Date(now + 10_000).toISOString(),
      now: new Date(now).toISOString(),
      attempts: 1,
    });
    slow.release();
    await expect(first).rejects.toThrow(LeaseLostError);
    expect(await store.getIntent(RUN, 0)).toMatchObject({ status: 'EXECUTING', leaseOwner: 'second' });
  });
});
