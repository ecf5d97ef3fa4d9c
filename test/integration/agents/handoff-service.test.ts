import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDBHandoffStore } from '../../../functions/adapters/aws/dynamodb-handoff-store.ts';
import { createHandoffService } from '../../../functions/core/agents/handoff-service.ts';
import { createCatalog } from '../../../functions/core/catalog.ts';
import { ANSWERED, type OrchestratorCallbacks } from '../../../functions/core/ports.ts';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../../lib/local/embedded-dynamodb.ts';
import { TABLE_NAMES } from '../../../lib/local/table-definitions.ts';
import { fixedClock, runFixture } from '../../support/fixtures.ts';
import { createMemoryStateStore } from '../../support/memory-state-store.ts';

let db: EmbeddedDynamoDB;
beforeAll(async () => {
  db = await startEmbeddedDynamoDB({ tables: [TABLE_NAMES.state] });
});
afterAll(async () => {
  await db.close();
});

const extract = {
  name: 'read-form',
  version: 1,
  description: 'Read a form.',
  allowedActions: ['model.extract'],
  steps: [
    {
      id: 'read',
      title: 'Read the form',
      action: 'model.extract',
      model: {
        prompt: 'Read it',
        output: { type: 'object', properties: { amount: { type: 'number' } }, required: ['amount'] },
      },
    },
  ],
};

async function setup(runId: string, callbacks: OrchestratorCallbacks) {
  const store = createMemoryStateStore();
  await store.createRun(runFixture({ runId, workflow: 'read-form', input: { form: 'amount: ten' } }));
  await store.savePlan({
    runId,
    steps: [
      {
        id: 'read',
        title: 'Read the form',
        action: { type: 'model.extract', params: {} },
        model: { ...extract.steps[0]?.model, rules: [], maxTokens: 100 } as never,
      },
    ],
    modelId: 'playbook',
    createdAt: 't',
  });
  await store.recordIntent({
    runId,
    stepIndex: 0,
    stepId: 'read',
    title: 'Read the form',
    action: { type: 'model.extract', params: {} },
    idempotencyKey: 'k',
    status: 'AWAITING_HANDOFF',
    attempts: 0,
    recordedAt: 't',
    handoff: { prompt: '<task>extract</task>', error: 'model down', memories: [], outputs: {} },
  });
  const service = createHandoffService({
    handoffs: createDynamoDBHandoffStore({ client: db.client, tableName: TABLE_NAMES.state }),
    store,
    catalog: createCatalog([extract]),
    clock: fixedClock(),
    callbacks,
  });
  return { store, service };
}

describe('handoff service', () => {
  it('checks the operator output against the step schema; the first completion wins and tells the run', async () => {
    const told: unknown[] = [];
    const { store, service } = await setup('run-a', {
      taskSucceeded: async (token, output) => {
        told.push([token, output]);
        return ANSWERED;
      },
      taskFailed: async () => ANSWERED,
    });
    const opened = await service.open('run-a', 0, 'token-1');
    expect(opened).toMatchObject({ handoffId: 'run-a-h0', status: 'PENDING', error: 'model down' });
    expect((await service.list()).map((h) => h.handoffId)).toContain('run-a-h0');

    await expect(service.complete('run-a-h0', { text: '{"amount":"ten"}' })).rejects.toMatchObject({
      name: 'ValidationError',
      issues: [{ path: 'text' }],
    });
    expect((await store.getIntent('run-a', 0))?.status).toBe('AWAITING_HANDOFF');

    await service.complete('run-a-h0', { text: '{"amount": 10}', by: 'ada' });
    expect(await store.getIntent('run-a', 0)).toMatchObject({
      status: 'SUCCEEDED',
      result: { output: { amount: 10 } },
    });
    expect(told).toEqual([
      ['token-1', expect.objectContaining({ stepId: 'read', status: 'done', ok: true })],
    ]);
    await expect(service.complete('run-a-h0', { text: '{"amount": 11}' })).rejects.toMatchObject({
      name: 'ConflictError',
    });
    expect((await service.list()).map((h) => h.handoffId)).not.toContain('run-a-h0');
  });

  it('a completion whose run was not told (a crash between) is told by answerCompleted', async () => {
    let down = true;
    const told: string[] = [];
    const { service } = await setup('run-b', {
      taskSucceeded: async (token) => {
        if (down) throw new Error('the process died here');
        told.push(token);
        return ANSWERED;
      },
      taskFailed: async () => ANSWERED,
    });
    await service.open('run-b', 0, 'token-b');
    await expect(service.complete('run-b-h0', { text: '{"amount": 3}' })).rejects.toThrow(/died/);
    down = false;
    expect(await service.answerCompleted()).toBeGreaterThanOrEqual(1);
    expect(told).toEqual(['token-b']);
    expect(await service.answerCompleted()).toBe(0);
  });
});
