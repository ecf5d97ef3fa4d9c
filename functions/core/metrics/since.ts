// No zod here: the CLI checks `--since` with this at start-up, and every command pays for what it loads.

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(\d{1,6})([mhd])$/;
/** A window longer than this is a mistake (and a read of every run ever). */
export const MAX_WINDOW_DAYS = 366;
export const DEFAULT_SINCE = '30d';
export const SINCE_PROBLEM = 'must be a duration such as 30d, 12h or 90m, or an ISO 8601 time';

/** `30d`, `12h`, `90m` back from now, or an ISO 8601 instant. */
export const isSince = (value: string) =>
  DURATION.test(value) || (/^\d{4}-\d{2}-\d{2}/.test(value) && !Number.isNaN(Date.parse(value)));

/** The instant a window starts; a window reaching further back than MAX_WINDOW_DAYS starts there. */
export function windowStart(since: string, now: Date): Date {
  const duration = DURATION.exec(since);
  const start = duration
    ? new Date(now.getTime() - Number(duration[1]) * UNIT_MS[duration[2] as keyof typeof UNIT_MS])
    : new Date(since);
  const earliest = new Date(now.getTime() - MAX_WINDOW_DAYS * UNIT_MS.d);
  return start < earliest ? earliest : start;
}
