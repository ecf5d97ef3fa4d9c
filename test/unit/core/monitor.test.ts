import { describe, expect, it } from 'vitest';
import { createMonitor } from '../../../functions/core/monitor.ts';
import type { StateStore } from '../../../functions/core/ports.ts';
import type { PlanStep } from '../../../functions/core/schemas.ts';
import { fixedClock } from '../../support/fixtures.ts';
import { createMemoryStateStore } from '../../support/memory-state-store.ts';

const steps: PlanStep[] = [0, 1, 2].map((i) => ({
  id: `s${i}`,
  title: `Step ${i + 1}`,
  action: { type: 'state.upsert', params: {} },
  ...(i === 2 && { expect: { status: [200] } }),
}));

describe('monitor', () => {
  it('checks every step of a run against its plan, read once', async () => {
    const inner = createMemoryStateStore();
    let planReads = 0;
    const store: StateStore = {
      ...inner,
      getPlan: (runId) => {
        planReads++;
        return inner.getPlan(runId);
      },
    };
    await inner.savePlan({ runId: 'r1', steps, modelId: 'm', createdAt: 't' });
    const monitor = createMonitor({ store, clock: fixedClock() });
    const done = { ok: true, output: { status: 200 }, durationMs: 3 };
    expect(await monitor.check('r1', 0, done)).toMatchObject({ stepId: 's0', ok: true });
    expect(await monitor.check('r1', 1, done)).toMatchObject({ stepId: 's1', ok: true });
    await expect(monitor.check('r1', 2, { ...done, output: { status: 500 } })).rejects.toThrow(
      /expected status 200, got 500/,
    );
    expect(planReads).toBe(1);
    expect((await inner.listJournal('r1')).map((e) => e.message)).toEqual([
      'step 1 s0: ok',
      'step 2 s1: ok',
      'step 3 s2: not as expected',
    ]);
  });

  it('does not keep a plan that is not there yet', async () => {
    const store = createMemoryStateStore();
    const monitor = createMonitor({ store, clock: fixedClock() });
    const done = { ok: true, output: {}, durationMs: 1 };
    await expect(monitor.check('r1', 0, done)).rejects.toThrow(/not in the plan/);
    await store.savePlan({ runId: 'r1', steps, modelId: 'm', createdAt: 't' });
    expect(await monitor.check('r1', 0, done)).toMatchObject({ stepId: 's0' });
  });
});
