import { Cron } from 'croner';

/**
 * A schedule expression as EventBridge Scheduler accepts it, parsed once: `cron(min hour dom month
 * dow year)` (day of week 1-7 from Sunday, one of the two day fields `?`, `L`, `W` and `#` allowed)
 * or `rate(n minute|minutes|hour|hours|day|days)`. `at(...)` one-time schedules are not playbook
 * triggers. The local scheduler and the API compute fire times from this; AWS gets the text as is.
 */
export type ScheduleExpression =
  | { kind: 'cron'; text: string; cron: Cron }
  | { kind: 'rate'; text: string; everyMs: number };

export class ScheduleExpressionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScheduleExpressionError';
  }
}

const UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

/** Throws ScheduleExpressionError saying what is wrong with the expression or the time zone. */
export function parseScheduleExpression(text: string, timezone = 'UTC'): ScheduleExpression {
  if (!isTimeZone(timezone))
    throw new ScheduleExpressionError(`${timezone} is not an IANA time zone (e.g. Europe/Berlin, UTC)`);
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(text);
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2] as string;
    if (value < 1) throw new ScheduleExpressionError(`${text}: the rate must be at least 1`);
    // As EventBridge demands: "1 minute", "5 minutes".
    if ((value === 1) !== !unit.endsWith('s'))
      throw new ScheduleExpressionError(`${text}: the unit is singular for 1 and plural above`);
    const base = unit.replace(/s$/, '') as keyof typeof UNIT_MS;
    return { kind: 'rate', text, everyMs: value * UNIT_MS[base] };
  }
  const cron = /^cron\((.+)\)$/.exec(text);
  if (!cron)
    throw new ScheduleExpressionError(
      `${text}: a schedule is cron(minutes hours day-of-month month day-of-week year) or rate(value unit)`,
    );
  const fields = (cron[1] as string).trim().split(/\s+/);
  if (fields.length !== 6)
    throw new ScheduleExpressionError(
      `${text}: a cron expression has 6 fields (minutes hours day-of-month month day-of-week year), not ${fields.length}`,
    );
  const [, , dayOfMonth, , dayOfWeek] = fields;
  if ((dayOfMonth === '?') === (dayOfWeek === '?'))
    throw new ScheduleExpressionError(`${text}: exactly one of day-of-month and day-of-week must be ?`);
  if (/(^|[,-])0($|[,#L-])/.test(dayOfWeek as string))
    throw new ScheduleExpressionError(`${text}: day-of-week runs from 1 (SUN) to 7 (SAT)`);
  try {
    // Croner's 7-part form puts seconds first; Quartz weekdays are EventBridge's 1 = Sunday.
    const compiled = new Cron(`0 ${fields.join(' ')}`, {
      mode: '7-part',
      alternativeWeekdays: true,
      timezone,
      paused: true,
    });
    return { kind: 'cron', text, cron: compiled };
  } catch (error) {
    throw new ScheduleExpressionError(`${text}: ${(error as Error).message.replace(/^CronPattern: /, '')}`);
  }
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/**
 * The first fire strictly after `after`. A rate is anchored at the Unix epoch, so fire times do not
 * depend on when aios started (EventBridge anchors at the schedule's creation; the run id takes
 * whichever time the scheduler delivers). Undefined when a cron has no fire left (a past year).
 */
export function nextFireAfter(expression: ScheduleExpression, after: Date): Date | undefined {
  if (expression.kind === 'rate') {
    const next = (Math.floor(after.getTime() / expression.everyMs) + 1) * expression.everyMs;
    return new Date(next);
  }
  return expression.cron.nextRun(after) ?? undefined;
}

/**
 * The latest `count` fires in (after, until], oldest first: found backwards from `until`, so a stop
 * of months costs no more than one of minutes.
 */
export function latestFires(expression: ScheduleExpression, after: Date, until: Date, count: number): Date[] {
  if (count < 1 || until <= after) return [];
  if (expression.kind === 'rate') {
    const fires: Date[] = [];
    let at = Math.floor(until.getTime() / expression.everyMs) * expression.everyMs;
    while (at > after.getTime() && fires.length < count) {
      fires.unshift(new Date(at));
      at -= expression.everyMs;
    }
    return fires;
  }
  // One step back at a time, so the walk stops at `after` however many fires lie before it.
  // Croner counts whole seconds back from the reference: a second later includes a fire at `until`.
  const fires: Date[] = [];
  let reference = new Date(until.getTime() + 1000);
  while (fires.length < count) {
    const [previous] = expression.cron.previousRuns(1, reference);
    if (!previous || previous <= after) break;
    if (previous <= until) fires.unshift(previous);
    reference = previous;
  }
  return fires;
}

/** The next `count` fires after `after`, for `aios schedules`. */
export function nextFires(expression: ScheduleExpression, after: Date, count: number): Date[] {
  const fires: Date[] = [];
  let at = nextFireAfter(expression, after);
  while (at && fires.length < count) {
    fires.push(at);
    at = nextFireAfter(expression, at);
  }
  return fires;
}
