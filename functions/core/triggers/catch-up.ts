import type { CatchUp } from '../schemas.ts';
import { latestFires, type ScheduleExpression } from './schedule-expression.ts';

/** A fire this late is still on time, not missed: a timer on a busy machine is never exact. */
export const ON_TIME_GRACE_MS = 60_000;

/** How many skipped fires a decision counts before it stops counting (a month of minutes is not worth it). */
const SKIPPED_COUNT_LIMIT = 100;

export interface FireDecision {
  /** Fires to start, oldest first. */
  fires: Date[];
  /** Fires passed over, up to SKIPPED_COUNT_LIMIT of them, and the latest. */
  skipped?: { count: number; latest: Date };
}

/**
 * Which of the fires due in (through, now] to start. One on time (within the grace) always starts;
 * those missed while aios was down follow the playbook's policy: `skip` none of them, `latest` only
 * the most recent due fire, `all` the most recent `maxCatchUp`. Pure: the scheduler persists the result.
 */
export function decideFires(
  expression: ScheduleExpression,
  policy: { catchUp: CatchUp; maxCatchUp: number },
  through: Date,
  now: Date,
  graceMs = ON_TIME_GRACE_MS,
): FireDecision {
  const keep = policy.catchUp === 'all' ? policy.maxCatchUp : 1;
  const due = latestFires(expression, through, now, keep + SKIPPED_COUNT_LIMIT);
  if (due.length === 0) return { fires: [] };
  const onTime = due.filter((at) => now.getTime() - at.getTime() <= graceMs);
  const fires = policy.catchUp === 'skip' ? onTime : due.slice(-Math.max(keep, onTime.length));
  const passed = due.slice(0, due.length - fires.length);
  const latest = passed.at(-1);
  return latest ? { fires, skipped: { count: passed.length, latest } } : { fires };
}
