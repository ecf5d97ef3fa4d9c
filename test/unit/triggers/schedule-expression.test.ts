import { describe, expect, it } from 'vitest';
import { RunIdSchema } from '../../../functions/core/ids.ts';
import { PlaybookSchema } from '../../../functions/core/playbook-schema.ts';
import { decideFires } from '../../../functions/core/triggers/catch-up.ts';
import { scheduledRunId } from '../../../functions/core/triggers/run-ids.ts';
import {
  latestFires,
  nextFires,
  parseScheduleExpression,
  ScheduleExpressionError,
} from '../../../functions/core/triggers/schedule-expression.ts';
import { WorkflowSchema } from '../../../functions/core/workflow-schema.ts';

const iso = (dates: Date[]) => dates.map((d) => d.toISOString());

describe('schedule expressions as EventBridge Scheduler takes them', () => {
  it('reads a cron in its time zone, day of week 1-7 from Sunday, across a DST change', () => {
    const monday9 = parseScheduleExpression('cron(0 9 ? * MON *)', 'Europe/Berlin');
    expect(iso(nextFires(monday9, new Date('2026-03-20T00:00:00Z'), 3))).toEqual([
      '2026-03-23T08:00:00.000Z', // CET, UTC+1
      '2026-03-30T07:00:00.000Z', // CEST after the last Sunday of March, UTC+2
      '2026-04-06T07:00:00.000Z',
    ]);
    const two = parseScheduleExpression('cron(0 9 ? * 2 *)', 'Europe/Berlin');
    expect(iso(nextFires(two, new Date('2026-03-20T00:00:00Z'), 1))).toEqual(['2026-03-23T08:00:00.000Z']);
  });

  it('knows L, W, # and the year field', () => {
    const lastDay = parseScheduleExpression('cron(0 12 L * ? *)');
    expect(iso(nextFires(lastDay, new Date('2027-02-01T00:00:00Z'), 1))).toEqual([
      '2027-02-28T12:00:00.000Z',
    ]);
    const secondTuesday = parseScheduleExpression('cron(30 8 ? * 3#2 2027)');
    expect(iso(nextFires(secondTuesday, new Date('2027-01-01T00:00:00Z'), 2))).toEqual([
      '2027-01-12T08:30:00.000Z',
      '2027-02-09T08:30:00.000Z',
    ]);
    expect(nextFires(secondTuesday, new Date('2028-01-01T00:00:00Z'), 1)).toEqual([]);
  });

  it('anchors a rate at the epoch, so fire times do not depend on when aios started', () => {
    const hourly = parseScheduleExpression('rate(1 hour)');
    expect(iso(nextFires(hourly, new Date('2026-12-01T10:20:00Z'), 2))).toEqual([
      '2026-12-01T11:00:00.000Z',
      '2026-12-01T12:00:00.000Z',
    ]);
    expect(parseScheduleExpression('rate(15 minutes)')).toMatchObject({ everyMs: 900_000 });
    expect(parseScheduleExpression('rate(2 days)')).toMatchObject({ everyMs: 172_800_000 });
  });

  it.each([
    ['cron(0 9 * * MON *)', 'exactly one of day-of-month and day-of-week must be ?'],
    ['cron(0 9 ? * ? *)', 'exactly one of day-of-month and day-of-week must be ?'],
    ['cron(0 9 ? * MON)', 'has 6 fields'],
    ['cron(0 25 ? * MON *)', 'hour'],
    ['cron(0 9 ? * 0 *)', 'from 1 (SUN) to 7 (SAT)'],
    ['rate(1 minutes)', 'singular for 1'],
    ['rate(5 minute)', 'singular for 1'],
    ['rate(0 minutes)', 'at least 1'],
    ['rate(1 week)', 'cron(minutes hours'],
    ['at(2026-12-01T10:00:00)', 'cron(minutes hours'],
    ['0 9 * * 1', 'cron(minutes hours'],
  ])('refuses %s, saying why', (expression, reason) => {
    expect(() => parseScheduleExpression(expression)).toThrow(ScheduleExpressionError);
    expect(() => parseScheduleExpression(expression)).toThrow(reason);
  });

  it('refuses a time zone that is not an IANA name', () => {
    expect(() => parseScheduleExpression('rate(1 hour)', 'Mars/Olympus')).toThrow('not an IANA time zone');
  });

  it('keeps a playbook with a bad expression or time zone from being pushed, naming the field', () => {
    const playbook = (trigger: Record<string, unknown>) => ({
      name: 'p',
      version: 1,
      description: 'd',
      trigger: { type: 'schedule', ...trigger },
      allowedActions: ['state.upsert'],
      goal: 'g',
    });
    const bad = PlaybookSchema.safeParse(playbook({ expression: 'cron(0 9 * * MON *)' }));
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['trigger', 'expression']);
    expect(
      PlaybookSchema.safeParse(playbook({ expression: 'rate(1 hour)', timezone: 'Nowhere' })).success,
    ).toBe(false);
    const good = PlaybookSchema.parse(playbook({ expression: 'rate(1 hour)' }));
    expect(good.trigger).toMatchObject({ timezone: 'UTC', catchUp: 'latest', maxCatchUp: 10 });
    // A stored version was checked at its push: reading it back does not need the cron parser.
    expect(WorkflowSchema.parse(playbook({ expression: 'rate(1 hour)' }))).toEqual(good);
  });

  it('finds the latest fires backwards, so a long stop costs nothing', () => {
    const minutely = parseScheduleExpression('rate(1 minute)');
    const after = new Date('2026-01-01T00:00:00Z');
    const until = new Date('2026-12-01T10:00:30Z');
    expect(iso(latestFires(minutely, after, until, 2))).toEqual([
      '2026-12-01T09:59:00.000Z',
      '2026-12-01T10:00:00.000Z',
    ]);
    const daily = parseScheduleExpression('cron(0 10 * * ? *)');
    expect(iso(latestFires(daily, after, new Date('2026-12-01T10:00:00Z'), 1))).toEqual([
      '2026-12-01T10:00:00.000Z',
    ]);
    expect(latestFires(daily, new Date('2026-12-01T10:00:00Z'), new Date('2026-12-01T12:00:00Z'), 1)).toEqual(
      [],
    );
  });
});

describe('catch-up after fires were missed', () => {
  const hourly = parseScheduleExpression('rate(1 hour)');
  const through = new Date('2026-12-01T00:30:00Z');
  const now = new Date('2026-12-01T05:00:10Z'); // fires at 01..05 due; 05:00 on time

  it('latest: only the most recent due fire', () => {
    const decision = decideFires(hourly, { catchUp: 'latest', maxCatchUp: 10 }, through, now);
    expect(iso(decision.fires)).toEqual(['2026-12-01T05:00:00.000Z']);
    expect(decision.skipped).toEqual({ count: 4, latest: new Date('2026-12-01T04:00:00Z') });
  });

  it('all: the most recent ones up to the bound, oldest first', () => {
    const decision = decideFires(hourly, { catchUp: 'all', maxCatchUp: 3 }, through, now);
    expect(iso(decision.fires)).toEqual([
      '2026-12-01T03:00:00.000Z',
      '2026-12-01T04:00:00.000Z',
      '2026-12-01T05:00:00.000Z',
    ]);
    expect(decision.skipped?.count).toBe(2);
  });

  it('skip: only a fire on time starts', () => {
    expect(iso(decideFires(hourly, { catchUp: 'skip', maxCatchUp: 10 }, through, now).fires)).toEqual([
      '2026-12-01T05:00:00.000Z',
    ]);
    const late = new Date('2026-12-01T05:30:00Z');
    const decision = decideFires(hourly, { catchUp: 'skip', maxCatchUp: 10 }, through, late);
    expect(decision.fires).toEqual([]);
    expect(decision.skipped?.count).toBe(5);
  });

  it('nothing due: nothing decided', () => {
    expect(
      decideFires(hourly, { catchUp: 'all', maxCatchUp: 3 }, through, new Date('2026-12-01T00:59:59Z')),
    ).toEqual({
      fires: [],
    });
  });
});

describe('the run id of a fire', () => {
  it('is derived from (playbook, version, scheduled time) and is a valid run id and execution name', () => {
    const at = new Date('2026-12-07T08:00:00Z');
    const id = scheduledRunId('invoice-follow-up', 1, at);
    expect(id).toMatch(/^invoice-follow-up-20261207-080000-[0-9a-f]{8}$/);
    expect(scheduledRunId('invoice-follow-up', 1, at)).toBe(id);
    expect(scheduledRunId('invoice-follow-up', 2, at)).not.toBe(id);
    expect(scheduledRunId('invoice-follow-up', 1, new Date('2026-12-14T08:00:00Z'))).not.toBe(id);
    expect(RunIdSchema.safeParse(id).success).toBe(true);
    expect(scheduledRunId('a'.repeat(55), 1, at).length).toBeLessThanOrEqual(80);
  });
});
