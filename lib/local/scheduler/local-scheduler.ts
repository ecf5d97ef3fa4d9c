import { ConflictError } from '../../../functions/core/errors.ts';
import type { SchedulerCursor, SchedulerCursors } from '../../../functions/core/ports/triggers.ts';
import type { WorkflowCatalog } from '../../../functions/core/ports.ts';
import { decideFires } from '../../../functions/core/triggers/catch-up.ts';
import {
  nextFireAfter,
  parseScheduleExpression,
} from '../../../functions/core/triggers/schedule-expression.ts';
import {
  isScheduled,
  type ScheduledWorkflow,
  type ScheduleFires,
} from '../../../functions/core/triggers/schedule-fires.ts';
import type { AslClock } from '../asl/clock.ts';

export interface LocalSchedulerDeps {
  catalog: WorkflowCatalog;
  /** The same path EventBridge Scheduler's deliveries take on AWS. */
  fires: Pick<ScheduleFires, 'fire'>;
  cursors: SchedulerCursors;
  clock: AslClock;
  /** The longest the scheduler sleeps between passes (default a minute). */
  maxSleepMs?: number;
  /** One schedule's pass failed; the next wake-up tries again. */
  onError?: (message: string, error: unknown, context: Record<string, string>) => void;
}

export interface LocalScheduler {
  /** One pass now over every schedule: what each wake-up does. Passes never overlap. */
  pass(): Promise<void>;
  /** Resolves when the pass under way, if any, has ended; starts none. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/** Wake up at least this often, so a machine that slept (timers do not count sleep) catches up soon after. */
const MAX_SLEEP_MS = 60_000;

/**
 * What EventBridge Scheduler is on AWS, durable in the store. For each schedule a cursor says up to
 * when every fire has been decided; a pass decides the fires due since (catch-up policy included)
 * and writes that decision, with the fires still to start, in one conditional write. Then each
 * pending fire goes through the fire path (recorded, then its run started, both safe to repeat)
 * and leaves the pending list. A kill at any point leaves either the old decision, which is taken
 * again, or the new one, whose pending fires are started by the next pass: no fire lost or doubled.
 */
export async function startLocalScheduler(deps: LocalSchedulerDeps): Promise<LocalScheduler> {
  /** The registry's newest versions, read again every pass: a push (or a removed schedule) counts at once. */
  const load = async () =>
    (await deps.catalog.workflows()).filter(isScheduled).map((workflow) => ({
      workflow,
      expression: parseScheduleExpression(workflow.trigger.expression, workflow.trigger.timezone),
    }));
  let schedules = await load();
  let running: Promise<void> | undefined;
  let cancelTimer: (() => void) | undefined;
  let closed = false;

  async function startPending(workflow: ScheduledWorkflow, cursor: SchedulerCursor): Promise<void> {
    let left = cursor.pending;
    while (left.length > 0) {
      const [at, ...rest] = left as [string, ...string[]];
      await deps.fires.fire(workflow.name, new Date(at), 'schedule');
      await deps.cursors.put(workflow.name, { ...cursor, pending: rest }, cursor.through);
      left = rest;
    }
  }

  async function advance(schedule: (typeof schedules)[number]): Promise<void> {
    const { workflow } = schedule;
    const now = new Date(deps.clock.now());
    let cursor = await deps.cursors.get(workflow.name);
    if (!cursor) {
      // A schedule aios has never run starts now: nothing before it was missed.
      cursor = { through: now.toISOString(), pending: [] };
      await deps.cursors.put(workflow.name, cursor, undefined);
    }
    // What an earlier pass decided and a stop cut short goes first.
    await startPending(workflow, cursor);
    if (now.toISOString() <= cursor.through) return;
    const decision = decideFires(schedule.expression, workflow.trigger, new Date(cursor.through), now);
    const decided: SchedulerCursor = {
      through: now.toISOString(),
      pending: decision.fires.map((at) => at.toISOString()),
      ...(decision.skipped
        ? { skipped: { count: decision.skipped.count, latest: decision.skipped.latest.toISOString() } }
        : {}),
    };
    await deps.cursors.put(workflow.name, decided, cursor.through);
    await startPending(workflow, decided);
  }

  async function passOnce(): Promise<void> {
    try {
      schedules = await load();
    } catch (error) {
      deps.onError?.('reading the schedules failed; this pass keeps the ones read before', error, {});
    }
    for (const schedule of schedules) {
      try {
        await advance(schedule);
      } catch (error) {
        // A lost conditional write means another pass moved the cursor; the next wake-up reads it.
        if (error instanceof ConflictError) continue;
        deps.onError?.('a schedule pass failed; the next wake-up tries again', error, {
          playbook: schedule.workflow.name,
        });
      }
    }
  }

  function arm(): void {
    if (closed || schedules.length === 0) return;
    const now = new Date(deps.clock.now());
    const next = Math.min(
      ...schedules.map((s) => nextFireAfter(s.expression, now)?.getTime() ?? Number.POSITIVE_INFINITY),
    );
    const delay = Math.max(0, Math.min(next - now.getTime(), deps.maxSleepMs ?? MAX_SLEEP_MS));
    cancelTimer = deps.clock.setTimer(() => {
      void pass();
    }, delay);
  }

  function pass(): Promise<void> {
    running ??= passOnce().finally(() => {
      running = undefined;
      cancelTimer?.();
      arm();
    });
    return running;
  }

  await pass();
  return {
    pass,
    async settled() {
      await running;
    },
    async close() {
      closed = true;
      cancelTimer?.();
      await running;
    },
  };
}
