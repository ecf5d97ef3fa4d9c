import { describe, expect, it } from 'vitest';
import type { Approval } from '../../../functions/core/approvals/approval.ts';
import { createLocalContext } from '../../../lib/local/http/lambda-context.ts';
import { captureEmf } from '../../support/emf-capture.ts';
import { fixedClock, runFixture } from '../../support/fixtures.ts';
import { createMemoryStateStore } from '../../support/memory-state-store.ts';

const emf = captureEmf();
const named = (name: string) =>
  emf().filter((doc) => doc._aws.CloudWatchMetrics[0]?.Metrics.some((m) => m.Name === name));

describe('EMF: time saved, cost per task and human overrides, per workflow', () => {
  it('a live run that succeeds emits TimeSavedMinutes (the playbook estimate) and RunCostUsd, with its workflow', async () => {
    const { createRunRecorderHandler } = await import(
      '../../../functions/run-recorder/run-recorder-handler.ts'
    );
    const store = createMemoryStateStore();
    const run = runFixture({ spentUsd: 0.0123 });
    await store.createRun(run);
    await store.appendJournal({
      runId: run.runId,
      at: '2026-11-25T10:00:01.000Z',
      kind: 'model',
      message: 'planned',
      data: { costUsd: 0.0123, durationMs: 800 },
    });
    const handler = createRunRecorderHandler({
      store,
      clock: fixedClock(),
      catalog: {
        workflow: async (name, version) =>
          name === 'onboarding' && version === 1 ? ({ minutesSavedPerRun: 45 } as never) : undefined,
      },
    });
    await handler({ op: 'finish', runId: run.runId }, createLocalContext('run-recorder', 10_000));

    const [saved] = named('TimeSavedMinutes');
    expect(saved).toMatchObject({ TimeSavedMinutes: 45, workflow: 'onboarding', service: 'aios' });
    expect(saved?._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'aios' });
    expect(saved?._aws.CloudWatchMetrics[0]?.Dimensions[0]).toEqual(
      expect.arrayContaining(['service', 'workflow']),
    );
    const [cost] = named('RunCostUsd');
    expect(cost).toMatchObject({ workflow: 'onboarding' });
    // The journal's model spend plus the estimated AWS cost of what it recorded (a few micro-dollars).
    expect(cost?.RunCostUsd as number).toBeGreaterThan(0.0123);
    expect(cost?.RunCostUsd as number).toBeLessThan(0.0124);
    // RunSucceeded keeps the service dimension alone, as the dashboard's run graph reads it.
    const [succeeded] = named('RunSucceeded');
    expect(succeeded?._aws.CloudWatchMetrics[0]?.Dimensions[0]).toEqual(['service']);
  });

  it('a shadow run saves no time and emits neither', async () => {
    const { createRunRecorderHandler } = await import(
      '../../../functions/run-recorder/run-recorder-handler.ts'
    );
    const store = createMemoryStateStore();
    const run = runFixture({ mode: 'shadow' });
    await store.createRun(run);
    const handler = createRunRecorderHandler({
      store,
      clock: fixedClock(),
      catalog: { workflow: async () => ({ minutesSavedPerRun: 45 }) as never },
    });
    await handler({ op: 'finish', runId: run.runId }, createLocalContext('run-recorder', 10_000));
    expect(named('TimeSavedMinutes')).toEqual([]);
    expect(named('RunCostUsd')).toEqual([]);
  });

  it('an approval rejected or edited is a HumanOverride of its workflow; a plain approval is not', async () => {
    const { approvalOverridden } = await import('../../../functions/shared/workflow-metrics.ts');
    const decided = (decision: Partial<NonNullable<Approval['decision']>>) => ({
      workflow: 'invoice-follow-up',
      decision: {
        outcome: 'approved' as const,
        channel: 'api' as const,
        by: 'operator',
        at: 'x',
        ...decision,
      },
    });
    approvalOverridden(decided({}));
    approvalOverridden(decided({ editedParams: {} }));
    expect(named('HumanOverride')).toEqual([]);
    approvalOverridden(decided({ outcome: 'rejected' }));
    approvalOverridden(decided({ editedParams: { subject: 'Hi' } }));
    const overrides = named('HumanOverride');
    expect(overrides).toHaveLength(2);
    for (const doc of overrides)
      expect(doc).toMatchObject({ HumanOverride: 1, workflow: 'invoice-follow-up' });
  });

  it("a cancel is a HumanOverride of the run's workflow", async () => {
    const { runControlRoutes } = await import('../../../functions/api/run-control-routes.ts');
    const { createStepFunctionsOrchestrator } = await import(
      '../../../functions/adapters/aws/step-functions.ts'
    );
    const { fakeSfn } = await import('../../support/fake-sfn.ts');
    const store = createMemoryStateStore();
    const run = runFixture({ status: 'RUNNING' });
    await store.createRun(run);
    const routes = runControlRoutes({
      store,
      orchestrator: createStepFunctionsOrchestrator(
        fakeSfn().client,
        'arn:aws:states:eu-west-1:123456789012:stateMachine:AiosRun',
      ),
      clock: fixedClock(),
      runs: { start: async () => ({}) as never },
    } as never);
    const response = await routes.cancelRun({
      method: 'POST',
      params: { id: run.runId },
      query: {},
      headers: {},
      headerValues: () => [],
      body: Buffer.alloc(0),
      requestId: 'r1',
    });
    expect(response.statusCode).toBe(200);
    expect(named('HumanOverride')).toHaveLength(1);
    expect(named('HumanOverride')[0]).toMatchObject({ HumanOverride: 1, workflow: 'onboarding' });
  });
});
