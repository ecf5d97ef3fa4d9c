import { describe, expect, it } from 'vitest';
import { createRunRecorder } from '../../../functions/core/run-recorder.ts';
import { fixedClock, runFixture } from '../../support/fixtures.ts';
import { createMemoryStateStore } from '../../support/memory-state-store.ts';

describe('run recorder', () => {
  it('moves QUEUED → RUNNING once; a repeated start is a no-op', async () => {
    const store = createMemoryStateStore();
    await store.createRun(runFixture({ status: 'QUEUED' }));
    const recorder = createRunRecorder({ store, clock: fixedClock() });
    await recorder.start(runFixture().runId);
    await recorder.start(runFixture().runId);
    expect((await store.getRun(runFixture().runId))?.status).toBe('RUNNING');
    expect((await store.listJournal(runFixture().runId)).filter((e) => e.kind === 'run')).toHaveLength(1);
  });

  it('fails a run whose execution ended outside the state machine, naming how it ended', async () => {
    const store = createMemoryStateStore();
    await store.createRun(runFixture());
    const recorder = createRunRecorder({ store, clock: fixedClock() });
    const run = await recorder.executionEnded(runFixture().runId, 'TIMED_OUT', null, null);
    expect(run.status).toBe('FAILED');
    expect(run.failure?.error).toBe('ExecutionTimedOut');
    expect(run.failure?.account).toMatch(/ran past its time limit/);
  });

  it('leaves a run that already ended as it is', async () => {
    const store = createMemoryStateStore();
    await store.createRun(runFixture({ status: 'SUCCEEDED', summary: 'done' }));
    const recorder = createRunRecorder({ store, clock: fixedClock() });
    const run = await recorder.executionEnded(runFixture().runId, 'FAILED', 'RunFailed', 'x');
    expect(run).toMatchObject({ status: 'SUCCEEDED', summary: 'done' });
  });
});
