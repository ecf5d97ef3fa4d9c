import { afterEach, describe, expect, it } from 'vitest';
import { scheduledRunId } from '../../../functions/core/triggers/run-ids.ts';
import { type LocalScheduler, startLocalScheduler } from '../../../lib/local/scheduler/local-scheduler.ts';
import { triggerHarness } from '../../support/trigger-harness.ts';

type Harness = ReturnType<typeof triggerHarness>;
const at = (iso: string) => Date.parse(iso);
const open: LocalScheduler[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function start(t: Harness, options: { maxSleepMs?: number } = {}) {
  const errors: unknown[] = [];
  const scheduler = await startLocalScheduler({
    catalog: t.catalog,
    fires: t.fires,
    cursors: t.cursors,
    clock: t.clock,
    maxSleepMs: options.maxSleepMs ?? 7 * 86_400_000,
    onError: (_, error) => errors.push(error),
  });
  open.push(scheduler);
  return { scheduler, errors };
}

/** The scheduled time of each run, per playbook, sorted. */
async function firesRun(t: Harness): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const fire of t.schedules.fires.values()) {
    if (fire.status !== 'STARTED' || !(await t.store.getRun(fire.runId))) continue;
    out[fire.playbook] = [...(out[fire.playbook] ?? []), fire.scheduledAt];
  }
  for (const list of Object.values(out)) list.sort();
  return out;
}

/** Lets the timers the clock found due run, then waits for the pass they started. */
async function afterTimers(scheduler: LocalScheduler) {
  await new Promise((resolve) => setImmediate(resolve));
  await scheduler.settled();
}

describe('the local scheduler', () => {
  it('sleeps until the next fire and starts each schedule at its time', async () => {
    const t = triggerHarness({ start: at('2026-12-07T07:00:00Z') }); // a Monday
    const { scheduler, errors } = await start(t);
    expect(await t.clock.nextDeadline()).toBe(at('2026-12-07T08:00:00Z'));
    t.clock.advanceTo(at('2026-12-07T08:00:00Z'));
    await afterTimers(scheduler);
    expect(await firesRun(t)).toEqual({
      'weekly-digest': ['2026-12-07T08:00:00.000Z'], // 09:00 in Berlin
      'hourly-sync': ['2026-12-07T08:00:00.000Z'],
    });
    t.clock.advanceTo(at('2026-12-07T09:00:00Z'));
    await afterTimers(scheduler);
    expect(await firesRun(t)).toEqual({
      'weekly-digest': ['2026-12-07T08:00:00.000Z'],
      'hourly-sync': ['2026-12-07T08:00:00.000Z', '2026-12-07T09:00:00.000Z'],
      'invoice-follow-up': ['2026-12-07T09:00:00.000Z'],
    });
    expect(t.sfn.executions.size).toBe(4);
    expect(errors).toEqual([]);
  });

  it('after a long stop, follows each catch-up policy: latest, all up to the bound, skip', async () => {
    const t = triggerHarness({ start: at('2026-12-07T07:00:00Z') });
    const first = await start(t);
    await first.scheduler.close();
    // Two and a half days down.
    t.clock.advanceTo(at('2026-12-09T12:30:00Z'));
    const { errors } = await start(t);
    expect(await firesRun(t)).toEqual({
      'invoice-follow-up': ['2026-12-07T09:00:00.000Z'], // latest: the one missed fire
      'hourly-sync': ['2026-12-09T10:00:00.000Z', '2026-12-09T11:00:00.000Z', '2026-12-09T12:00:00.000Z'],
      'weekly-digest': ['2026-12-07T08:00:00.000Z'], // latest: its Monday fire
      // nightly-skip (skip) starts none of its missed nights.
    });
    expect((await t.cursors.get('hourly-sync'))?.skipped?.count).toBe(50);
    expect(errors).toEqual([]);
  });

  it('a schedule aios never ran before starts now: nothing before its first start counts as missed', async () => {
    const t = triggerHarness({ start: at('2026-12-09T12:30:00Z') });
    await start(t);
    expect(await firesRun(t)).toEqual({});
  });

  it('a paused schedule starts nothing at its time; resumed, the next fire runs', async () => {
    const t = triggerHarness({ start: at('2026-12-07T07:30:00Z') });
    const { scheduler } = await start(t);
    await t.fires.pause('hourly-sync');
    t.clock.advanceTo(at('2026-12-07T08:00:00Z'));
    await afterTimers(scheduler);
    expect((await firesRun(t))['hourly-sync']).toBeUndefined();
    expect((await t.schedules.getFire('hourly-sync', '2026-12-07T08:00:00.000Z'))?.status).toBe('SKIPPED');
    await t.fires.resume('hourly-sync');
    t.clock.advanceTo(at('2026-12-07T09:00:00Z'));
    await afterTimers(scheduler);
    expect((await firesRun(t))['hourly-sync']).toEqual(['2026-12-07T09:00:00.000Z']);
  });

  /**
   * A kill can come between any two writes. This kills the scheduler at each write of a pass in
   * turn (every write after it fails, as in a dead process), then starts a new one on the same
   * store, as `aios dev` after a kill -9: each fire has exactly one run, and none is lost.
   */
  it('killed at any write around a fire, then restarted: exactly one run per fire', async () => {
    let killedAt = 1;
    for (; ; killedAt += 1) {
      const t = triggerHarness({ start: at('2026-12-07T07:00:00Z') });
      const first = await start(t);
      let writes = 0;
      let dead = false;
      const kill = <T extends object>(target: T, method: keyof T) => {
        const original = (target[method] as (...args: unknown[]) => Promise<unknown>).bind(target);
        const previous = target[method];
        (target as Record<keyof T, unknown>)[method] = async (...args: unknown[]) => {
          writes += 1;
          if (writes === killedAt) dead = true;
          if (dead) throw new Error('killed');
          return original(...args);
        };
        return () => {
          (target as Record<keyof T, unknown>)[method] = previous;
        };
      };
      const revive = [
        kill(t.cursors, 'put'),
        kill(t.schedules, 'recordFire'),
        kill(t.schedules, 'settleFire'),
        kill(t.claims, 'claim'),
        kill(t.store, 'createRun'),
        kill(t.sfn.orchestrator, 'startRun'),
      ];
      t.clock.advanceTo(at('2026-12-07T08:00:00Z'));
      await afterTimers(first.scheduler);
      await first.scheduler.close();
      for (const undo of revive) undo();
      if (!dead) break; // the pass made fewer writes than this: every point has been tried

      t.clock.advanceTo(at('2026-12-07T08:00:20Z'));
      const second = await start(t);
      const runs = await t.store.listRuns();
      expect(await firesRun(t), `killed at write ${killedAt}`).toEqual({
        'weekly-digest': ['2026-12-07T08:00:00.000Z'],
        'hourly-sync': ['2026-12-07T08:00:00.000Z'],
      });
      expect(runs.map((r) => r.runId).sort(), `killed at write ${killedAt}`).toEqual(
        [
          scheduledRunId('hourly-sync', 1, new Date('2026-12-07T08:00:00Z')),
          scheduledRunId('weekly-digest', 1, new Date('2026-12-07T08:00:00Z')),
        ].sort(),
      );
      expect(t.sfn.executions.size).toBe(2);
      expect(second.errors).toEqual([]);
    }
    // Both fires' writes were each a kill point.
    expect(killedAt).toBeGreaterThan(12);
  });
});
