import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { stateUpsertConnector } from '../../../functions/connectors/state-upsert.ts';
import { type Connector, catalogueOf } from '../../../functions/core/connector.ts';
import { PermanentConnectorError, TransientConnectorError } from '../../../functions/core/errors.ts';
import { createGateway } from '../../../functions/core/gateway.ts';
import { idempotencyKeyFor } from '../../../functions/core/idempotency-key.ts';
import type { Intent } from '../../../functions/core/schemas.ts';
import { fixedClock } from '../../support/fixtures.ts';
import { createMemoryStateStore } from '../../support/memory-state-store.ts';

const key = idempotencyKeyFor('r1', 0, 'create-customer');
const intent = (overrides: Partial<Intent> = {}): Intent => ({
  runId: 'r1',
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
  recordedAt: '2026-11-25T10:00:00.000Z',
  ...overrides,
});

function flaky(failures: number, kind: 'transient' | 'permanent'): Connector & { calls: number } {
  const connector = {
    type: 'state.upsert',
    paramsSchema: z.record(z.string(), z.unknown()),
    risk: 'write' as const,
    undoable: false,
    idempotent: true,
    calls: 0,
    async execute() {
      connector.calls += 1;
      if (connector.calls <= failures) {
        throw kind === 'transient'
          ? new TransientConnectorError('503 from provider')
          : new PermanentConnectorError('404');
      }
      return { done: true };
    },
  };
  return connector;
}

describe('gateway', () => {
  it('refuses an effect when no intent is recorded', async () => {
    const store = createMemoryStateStore();
    const gateway = createGateway({
      store,
      connectors: catalogueOf([stateUpsertConnector(store)]),
      clock: fixedClock(),
    });
    await expect(
      gateway.execute({ runId: 'r1', stepIndex: 0, idempotencyKey: key, action: intent().action }),
    ).rejects.toThrow(/no intent is recorded/);
    expect(await store.getEntity('customer', 'acme')).toBeUndefined();
  });

  it('executes once: a repeated request returns the recorded result and writes no second version', async () => {
    const store = createMemoryStateStore();
    await store.recordIntent(intent());
    const gateway = createGateway({
      store,
      connectors: catalogueOf([stateUpsertConnector(store)]),
      clock: fixedClock(),
    });
    const request = { runId: 'r1', stepIndex: 0, idempotencyKey: key, action: intent().action };
    const first = await gateway.execute(request);
    const second = await gateway.execute(request);
    expect(second).toEqual(first);
    expect(store.entityVersions.get('customer#acme')).toHaveLength(1);
    expect((await store.getIntent('r1', 0))?.status).toBe('SUCCEEDED');
  });

  it('re-running an intent left EXECUTING by a crash finds its own write instead of writing again', async () => {
    const store = createMemoryStateStore();
    await store.recordIntent(intent());
    const connector = stateUpsertConnector(store);
    await connector.execute(
      { entityType: 'customer', entityId: 'acme', data: { name: 'Acme' }, merge: true },
      { idempotencyKey: key, runId: 'r1', stepIndex: 0, now: new Date() },
    );
    await store.updateIntent('r1', 0, ['RECORDED'], { status: 'EXECUTING', attempts: 1 });
    const gateway = createGateway({ store, connectors: catalogueOf([connector]), clock: fixedClock() });
    const result = await gateway.execute({
      runId: 'r1',
      stepIndex: 0,
      idempotencyKey: key,
      action: intent().action,
    });
    expect(result.output).toMatchObject({ replayed: true, version: 1 });
    expect(store.entityVersions.get('customer#acme')).toHaveLength(1);
  });

  it('uses the recorded action, not the message, so a tampered message cannot change the effect', async () => {
    const store = createMemoryStateStore();
    await store.recordIntent(intent());
    const gateway = createGateway({
      store,
      connectors: catalogueOf([stateUpsertConnector(store)]),
      clock: fixedClock(),
    });
    await gateway.execute({
      runId: 'r1',
      stepIndex: 0,
      idempotencyKey: key,
      action: { type: 'state.upsert', params: { entityType: 'customer', entityId: 'evil', data: {} } },
    });
    expect(await store.getEntity('customer', 'evil')).toBeUndefined();
    expect(await store.getEntity('customer', 'acme')).toBeDefined();
  });

  it('rejects a message whose idempotency key is not the intent’s', async () => {
    const store = createMemoryStateStore();
    await store.recordIntent(intent());
    const gateway = createGateway({
      store,
      connectors: catalogueOf([stateUpsertConnector(store)]),
      clock: fixedClock(),
    });
    await expect(
      gateway.execute({ runId: 'r1', stepIndex: 0, idempotencyKey: 'aios-other', action: intent().action }),
    ).rejects.toThrow(/does not match/);
  });

  it('puts a transient failure back to RECORDED and a permanent one to FAILED', async () => {
    const transientStore = createMemoryStateStore();
    await transientStore.recordIntent(intent());
    const transient = createGateway({
      store: transientStore,
      connectors: catalogueOf([flaky(1, 'transient')]),
      clock: fixedClock(),
    });
    const request = { runId: 'r1', stepIndex: 0, idempotencyKey: key, action: intent().action };
    await expect(transient.execute(request)).rejects.toThrow(TransientConnectorError);
    expect((await transientStore.getIntent('r1', 0))?.status).toBe('RECORDED');
    await expect(transient.execute(request)).resolves.toMatchObject({ ok: true, attempts: 2 });

    const permanentStore = createMemoryStateStore();
    await permanentStore.recordIntent(intent());
    const permanent = createGateway({
      store: permanentStore,
      connectors: catalogueOf([flaky(1, 'permanent')]),
      clock: fixedClock(),
    });
    await expect(permanent.execute(request)).rejects.toThrow(PermanentConnectorError);
    expect((await permanentStore.getIntent('r1', 0))?.status).toBe('FAILED');
  });

  it('fails a step whose recorded parameters break the connector schema, naming the field, with no effect', async () => {
    const store = createMemoryStateStore();
    await store.recordIntent(
      intent({ action: { type: 'state.upsert', params: { entityType: 'Customer!', data: {} } } }),
    );
    const gateway = createGateway({
      store,
      connectors: catalogueOf([stateUpsertConnector(store)]),
      clock: fixedClock(),
    });
    await expect(
      gateway.execute({ runId: 'r1', stepIndex: 0, idempotencyKey: key, action: intent().action }),
    ).rejects.toThrow(/entityType.*entityId|entityId/);
    expect((await store.getIntent('r1', 0))?.status).toBe('FAILED');
  });
});
