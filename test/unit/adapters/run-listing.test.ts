import { describe, expect, it } from 'vitest';
import { newestPerRun } from '../../../functions/adapters/aws/dynamodb-state-store.ts';
import { runFixture } from '../../support/fixtures.ts';

const at = (minute: number) => `2026-11-25T10:${String(minute).padStart(2, '0')}:00.000Z`;

describe('GET /runs without a status: one line per run, its newest copy', () => {
  it('a run found under two statuses (it moved between the queries) is listed once, as it is now', () => {
    const runs = newestPerRun([
      runFixture({ runId: 'run-a', status: 'QUEUED', updatedAt: at(0) }),
      runFixture({ runId: 'run-b', status: 'SUCCEEDED', updatedAt: at(3) }),
      runFixture({ runId: 'run-a', status: 'RUNNING', updatedAt: at(1) }),
    ]);
    expect(runs.map((r) => [r.runId, r.status])).toEqual([
      ['run-a', 'RUNNING'],
      ['run-b', 'SUCCEEDED'],
    ]);
  });

  it('whichever order the copies come in', () => {
    const copies = [
      runFixture({ runId: 'run-a', status: 'FAILED', updatedAt: at(5) }),
      runFixture({ runId: 'run-a', status: 'RUNNING', updatedAt: at(1) }),
      runFixture({ runId: 'run-a', status: 'QUEUED', updatedAt: at(0) }),
    ];
    expect(newestPerRun(copies)).toMatchObject([{ status: 'FAILED' }]);
    expect(newestPerRun([...copies].reverse())).toMatchObject([{ status: 'FAILED' }]);
  });

  it('copies written in the same millisecond go by the lifecycle: the later status wins', () => {
    const queued = runFixture({ runId: 'run-a', status: 'QUEUED', updatedAt: at(0) });
    const running = runFixture({ runId: 'run-a', status: 'RUNNING', updatedAt: at(0) });
    expect(newestPerRun([running, queued])).toMatchObject([{ status: 'RUNNING' }]);
    expect(newestPerRun([queued, running])).toMatchObject([{ status: 'RUNNING' }]);
  });
});
