import { describe, expect, it } from 'vitest';
import { createCatalog } from '../../../functions/core/catalog.ts';
import { createReplay } from '../../../functions/core/replay/replay.ts';
import type { ReplayRecord } from '../../../functions/core/replay/schemas.ts';
import type { Intent, OperatorPolicy, Run } from '../../../functions/core/schemas.ts';
import { fixedClock, runFixture } from '../../support/fixtures.ts';
import { createMemoryStateStore } from '../../support/memory-state-store.ts';

// The replay's domain alone: a run as its records hold it, replayed against a policy or a plan that changed.

type Step = { id: string; action: string; params: Record<string, unknown> };

const playbook = (version: number, steps: Step[]) => ({
  name: 'tidy',
  version,
  description: 'Tidy up a customer.',
  allowedActions: ['state.upsert', 'http.request', 'email.send'],
  steps: steps.map((s) => ({ ...s, title: s.id })),
});
const save: Step = {
  id: 'save',
  action: 'state.upsert',
  params: { entityType: 'customer', entityId: 'c1', data: { a: 1 } },
};
const call: Step = {
  id: 'call',
  action: 'http.request',
  params: { url: 'https://crm.example/hook', method: 'POST' },
};
const mail: Step = {
  id: 'mail',
  action: 'email.send',
  params: { to: ['a@b.example'], subject: 'Hi', text: 'Hello' },
};
const allowAll: OperatorPolicy = {
  byRisk: { read: 'allow', write: 'allow', 'external-message': 'allow', money: 'needs-approval' },
  rules: [],
  approvers: { slackUserIds: [], emails: [] },
};

async function recordedRun(steps: Step[], decision: 'allow' | 'needs-approval' = 'allow') {
  const store = createMemoryStateStore();
  const run: Run = runFixture({ workflow: 'tidy', status: 'SUCCEEDED', input: {} });
  await store.createRun(run);
  await store.savePlan({
    runId: run.runId,
    modelId: 'playbook tidy v1',
    createdAt: run.createdAt,
    steps: steps.map((s) => ({ id: s.id, title: s.id, action: { type: s.action, params: s.params } })),
  });
  for (const [stepIndex, s] of steps.entries()) {
    const intent: Intent = {
      runId: run.runId,
      stepIndex,
      stepId: s.id,
      title: s.id,
      action: { type: s.action, params: s.params },
      idempotencyKey: `k${stepIndex}`,
      status: 'SUCCEEDED',
      decision: 'allow',
      reason: 'allowed',
      attempts: 1,
      recordedAt: run.createdAt,
      result: { ok: true, output: { done: s.id }, durationMs: 1 },
    };
    await store.recordIntent(intent);
    await store.appendJournal({
      runId: run.runId,
      at: run.createdAt,
      kind: 'decision',
      message: `step ${stepIndex + 1}`,
      data: { stepIndex, action: s.action, decision, reason: 'allowed' },
    });
  }
  return { store, run };
}

function replayOf(store: ReturnType<typeof createMemoryStateStore>, workflows: unknown[], policy = allowAll) {
  const saved: ReplayRecord[] = [];
  const replay = createReplay({
    store,
    catalog: {
      async workflow(name, version) {
        return createCatalog(
          workflows.filter((w) => (w as { version: number }).version === version),
        ).workflow(name, version);
      },
      workflows: async () => [],
    },
    clock: fixedClock('2026-11-26T10:00:00.000Z'),
    operatorPolicy: async () => policy,
    riskOf: (type) =>
      ({ 'state.upsert': 'write', 'http.request': 'write', 'email.send': 'external-message' })[type] as never,
    validateParams: () => undefined,
    replays: { saveReplay: async (r) => void saved.push(r), listReplays: async () => saved },
  });
  return { replay, saved };
}

describe('replay (domain)', () => {
  it('a policy changed since the run: the step it now denies differs in policy and effect, the rest not', async () => {
    const { store, run } = await recordedRun([save, call]);
    const denyHttp = {
      ...allowAll,
      rules: [{ action: 'http.request', decision: 'deny' as const, reason: 'frozen' }],
    };
    const { replay, saved } = replayOf(store, [playbook(1, [save, call])], denyHttp);

    const record = await replay.replay(run.runId, {}, 'operator');

    expect(record.steps.map((s) => [s.stepId, s.differences.map((d) => d.field)])).toEqual([
      ['save', []],
      ['call', ['policy', 'effect']],
    ]);
    expect(record.steps[1]?.replay).toMatchObject({ decision: 'deny', effect: null });
    expect(record.effects.map((e) => e.stepId)).toEqual(['save']);
    expect(saved).toEqual([record]);
  });

  it('a step the new version no longer has is listed as removed, with the effect it made', async () => {
    const { store, run } = await recordedRun([save, call, mail]);
    const { replay } = replayOf(store, [playbook(1, [save, call, mail]), playbook(2, [save, mail])]);

    const record = await replay.replay(run.runId, { playbookVersion: 2 }, 'operator');

    expect(record.steps.map((s) => [s.stepId, s.plan, s.differences.map((d) => d.field)])).toEqual([
      ['save', 'same', []],
      ['mail', 'same', []],
      ['call', 'removed', ['plan', 'policy', 'effect']],
    ]);
    expect(record.steps[2]?.original?.effect).toMatchObject({
      type: 'http.request',
      result: { done: 'call' },
    });
    expect(record.differences).toBe(3);
  });

  it('a step the approver edited before approving replays as approved, edit and all: no difference', async () => {
    const { store, run } = await recordedRun([mail], 'needs-approval');
    // What the run recorded: held for approval, then approved with the subject edited.
    await store.updateIntent(run.runId, 0, ['SUCCEEDED'], {
      action: { type: 'email.send', params: { ...mail.params, subject: 'Hi there' } },
      reason: 'approved (emails are checked)',
    });
    const held = {
      ...playbook(1, [mail]),
      policy: { rules: [{ action: 'email.send', decision: 'needs-approval', reason: 'emails are checked' }] },
    };
    const { replay } = replayOf(store, [held]);

    const record = await replay.replay(run.runId, {}, 'operator');

    expect(record.differences).toBe(0);
    expect(record.effects).toEqual([
      expect.objectContaining({
        params: expect.objectContaining({ subject: 'Hi there' }),
        when: 'after-approval',
      }),
    ]);
  });

  it('a goal the model planned: recorded replays the recorded plan answer; current asks the planner again', async () => {
    const { store, run } = await recordedRun([save, call]);
    const answer = (steps: Step[]) =>
      JSON.stringify({
        steps: steps.map((s) => ({ id: s.id, title: s.id, action: { type: s.action, params: s.params } })),
      });
    await store.appendJournal({
      runId: run.runId,
      at: run.createdAt,
      kind: 'model',
      message: 'planner asked',
      data: { purpose: 'plan', answer: answer([save, call]), costUsd: 0.002 },
    });
    const goal = { ...playbook(1, []), steps: undefined, goal: 'Tidy up the customer' };
    const calls: string[] = [];
    const model = {
      async converse(request: { system: string }) {
        calls.push(request.system);
        return { text: answer([save, mail]), modelId: 'm', inputTokens: 10, outputTokens: 10 };
      },
      priceUsd: () => 0.003,
      modelFor: () => 'm',
    };
    const saved: ReplayRecord[] = [];
    const replay = createReplay({
      store,
      catalog: createCatalog([goal]),
      clock: fixedClock(),
      operatorPolicy: async () => allowAll,
      riskOf: () => 'write',
      validateParams: () => undefined,
      replays: { saveReplay: async (r) => void saved.push(r), listReplays: async () => saved },
      model,
    });

    const recorded = await replay.replay(run.runId, {}, 'operator');
    expect(recorded.differences).toBe(0);
    expect(recorded.planning).toEqual({ originalUsd: 0.002, replayUsd: 0.002 });
    expect(calls).toEqual([]);

    const current = await replay.replay(run.runId, { model: 'current' }, 'operator');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatch(/planning agent/);
    expect(current.steps.map((s) => [s.stepId, s.plan])).toEqual([
      ['save', 'same'],
      ['mail', 'added'],
      ['call', 'removed'],
    ]);
    expect(current.planning).toEqual({ originalUsd: 0.002, replayUsd: 0.003 });
  });

  it('refuses --model current without a model port, and an unknown version, before storing anything', async () => {
    const { store, run } = await recordedRun([save]);
    const { replay, saved } = replayOf(store, [playbook(1, [save])]);
    await expect(replay.replay(run.runId, { model: 'current' }, 'operator')).rejects.toThrow(
      /no model to ask/,
    );
    await expect(replay.replay(run.runId, { playbookVersion: 3 }, 'operator')).rejects.toThrow(
      /playbook tidy has no version 3/,
    );
    await expect(replay.replay(run.runId, { model: 'maybe' } as never, 'operator')).rejects.toThrow(/model/);
    expect(saved).toEqual([]);
  });
});
