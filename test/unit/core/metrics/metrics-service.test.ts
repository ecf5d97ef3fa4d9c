import { describe, expect, it } from 'vitest';
import type { Approval } from '../../../../functions/core/approvals/approval.ts';
import { NotFoundError } from '../../../../functions/core/errors.ts';
import { createMetricsService } from '../../../../functions/core/metrics/metrics-service.ts';
import type { ExecutionEvent, WorkflowCatalog } from '../../../../functions/core/ports.ts';
import type { Workflow } from '../../../../functions/core/schemas.ts';
import { createMemoryStateStore } from '../../../support/memory-state-store.ts';
import { knownRuns, run } from './known-runs.ts';

async function seeded() {
  const store = createMemoryStateStore();
  const approvals = new Map<string, Approval>();
  const histories = new Map<string, ExecutionEvent[]>();
  const looked: string[] = [];
  for (const record of knownRuns()) {
    await store.createRun(record.run);
    for (const entry of record.journal) await store.appendJournal(entry);
    for (const entry of record.audit) await store.appendAudit(entry);
    for (const intent of record.intents) await store.recordIntent(intent);
    for (const approval of record.approvals) approvals.set(approval.approvalId, approval);
    histories.set(record.run.runId, [...record.history]);
  }
  // Created the day before the window: not counted.
  await store.createRun(
    run('r0', {
      status: 'SUCCEEDED',
      createdAt: '2026-10-31T23:59:59.999Z',
      finishedAt: '2026-11-01T00:00:01.000Z',
    }),
  );
  const catalog: WorkflowCatalog = {
    workflow: async () => undefined,
    workflows: async () => [
      { name: 'onboarding', version: 1, minutesSavedPerRun: 45 } as Workflow,
      { name: 'invoice-follow-up', version: 1 } as Workflow,
    ],
  };
  const service = createMetricsService({
    store,
    approvals: {
      get: async (id) => {
        looked.push(id);
        return approvals.get(id);
      },
    },
    orchestrator: { history: async (runId) => histories.get(runId) ?? [] },
    catalog,
    clock: { now: () => new Date('2026-11-02T00:00:00.000Z') },
  });
  return { service, looked };
}

describe('metrics service', () => {
  it('reads the runs created in the window with their journal, audit, approvals and history', async () => {
    const { service, looked } = await seeded();
    const report = await service.metrics({ since: new Date('2026-11-01T00:00:00.000Z') });
    expect(report).toMatchObject({
      since: '2026-11-01T00:00:00.000Z',
      until: '2026-11-02T00:00:00.000Z',
      truncated: false,
    });
    const onboarding = report.workflows.find((w) => w.workflow === 'onboarding');
    expect(onboarding).toMatchObject({
      runs: 4,
      succeeded: 2,
      timeSavedMinutes: 88,
      overrides: { rejected: 1, edited: 1 },
    });
    expect(onboarding?.cost.totalUsd).toBeCloseTo(0.07051275029, 10);
    // A playbook without an estimate saves no countable time.
    expect(report.workflows.find((w) => w.workflow === 'invoice-follow-up')?.timeSavedMinutes).toBeNull();
    // Only the steps the policy sent for approval are looked up.
    expect(looked.sort()).toEqual(['r3-s0', 'r4-s0']);
  });

  it('narrows to one workflow', async () => {
    const { service } = await seeded();
    const report = await service.metrics({
      since: new Date('2026-10-01T00:00:00.000Z'),
      workflow: 'invoice-follow-up',
    });
    expect(report.workflows.map((w) => [w.workflow, w.runs])).toEqual([['invoice-follow-up', 3]]);
  });

  it('prices one run and says which prices it used; an unknown run is not found', async () => {
    const { service } = await seeded();
    expect(await service.runCost('r2')).toMatchObject({
      runId: 'r2',
      modelUsd: 0.02,
      pricesAsOf: '2026-12-01',
    });
    await expect(service.runCost('nope')).rejects.toThrow(NotFoundError);
  });
});
