/** @jsxImportSource hono/jsx */

import type { DayPoint } from '../../core/metrics/daily.ts';

export type { DayPoint };

const W = 600;
const H = 160;
const PAD = 24;

/**
 * Runs per day as bars and cost per day as a line, each on its own scale: an inline SVG with a
 * title, a description and the numbers in a table beside it for screen readers.
 */
export function RunsAndCostChart({ title, points }: { title: string; points: readonly DayPoint[] }) {
  if (points.length === 0) return <p class="muted">No runs in this window.</p>;
  const maxRuns = Math.max(1, ...points.map((p) => p.runs));
  const maxCost = Math.max(Number.EPSILON, ...points.map((p) => p.costUsd));
  const step = (W - 2 * PAD) / points.length;
  const y = (fraction: number) => H - PAD - fraction * (H - 2 * PAD);
  const line = points
    .map((p, i) => `${(PAD + step * (i + 0.5)).toFixed(1)},${y(p.costUsd / maxCost).toFixed(1)}`)
    .join(' ');
  return (
    <svg
      viewBox={`0 0 ${W} ${H}`}
      role="img"
      aria-label={title}
      style="width:100%;max-width:40rem;height:auto"
    >
      <title>{title}</title>
      <desc>{`Runs per day (bars, up to ${maxRuns}) and cost per day (line, up to $${maxCost.toFixed(4)}).`}</desc>
      {points.map((p, i) => (
        <rect
          x={(PAD + step * i + step * 0.15).toFixed(1)}
          y={y(p.runs / maxRuns).toFixed(1)}
          width={(step * 0.7).toFixed(1)}
          height={(H - PAD - y(p.runs / maxRuns)).toFixed(1)}
          fill="currentColor"
          opacity="0.35"
        >
          <title>{`${p.day}: ${p.runs} run${p.runs === 1 ? '' : 's'}, $${p.costUsd.toFixed(4)}`}</title>
        </rect>
      ))}
      <polyline points={line} fill="none" stroke="currentColor" stroke-width="2" />
      <text x={PAD} y={H - 6} font-size="11" fill="currentColor">
        {points[0]?.day}
      </text>
      <text x={W - PAD} y={H - 6} font-size="11" fill="currentColor" text-anchor="end">
        {points.at(-1)?.day}
      </text>
    </svg>
  );
}
