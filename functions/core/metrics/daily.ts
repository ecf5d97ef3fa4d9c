/** One day of a workflow's chart: runs started that day and what they cost. */
export interface DayPoint {
  /** YYYY-MM-DD (UTC) */
  day: string;
  runs: number;
  costUsd: number;
}

const DAY_MS = 86_400_000;
const dayOf = (iso: string) => iso.slice(0, 10);

/**
 * Runs and cost per UTC day for each workflow (all its versions), every day of the window present
 * (a day without runs is a 0, so the chart's x axis is time, not a list of busy days). A run counts
 * on the day it was created, with its whole cost.
 */
export function dailySeries(
  runs: readonly { runId: string; workflow: string; createdAt: string }[],
  costOf: (runId: string) => number,
  window: { since: string; until: string },
): Record<string, DayPoint[]> {
  const days: string[] = [];
  for (
    let t = Date.parse(`${dayOf(window.since)}T00:00:00.000Z`);
    t <= Date.parse(window.until);
    t += DAY_MS
  ) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  const series: Record<string, Map<string, DayPoint>> = {};
  for (const run of runs) {
    const byDay =
      series[run.workflow] ??
      new Map<string, DayPoint>(days.map((day) => [day, { day, runs: 0, costUsd: 0 }]));
    series[run.workflow] = byDay;
    const point = byDay.get(dayOf(run.createdAt));
    if (!point) continue; // created outside the window
    point.runs += 1;
    point.costUsd += costOf(run.runId);
  }
  return Object.fromEntries(
    Object.entries(series).map(([workflow, byDay]) => [workflow, [...byDay.values()]]),
  );
}
