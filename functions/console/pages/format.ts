// Small display helpers shared by the pages: plain words and fixed formats, no locale surprises.

export const usd = (value: number | null | undefined) =>
  value === null || value === undefined
    ? '–'
    : `$${value < 0.01 && value > 0 ? value.toFixed(6) : value.toFixed(4)}`;

export const duration = (ms: number | null | undefined) => {
  if (ms === null || ms === undefined) return '–';
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
};

export const time = (iso: string | undefined) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '–');

/**
 * Journal data can hold what no page may show: approval links carry signed tokens. Pages show a
 * journal line's message and, of its data, only these plain fields.
 */
const SHOWN_DATA = [
  'purpose',
  'tier',
  'modelId',
  'inputTokens',
  'outputTokens',
  'costUsd',
  'durationMs',
  'status',
] as const;

export function shownData(data: Record<string, unknown> | undefined): [string, string][] {
  if (!data) return [];
  return SHOWN_DATA.filter((key) => data[key] !== undefined && typeof data[key] !== 'object').map((key) => [
    key,
    key === 'costUsd' ? usd(data[key] as number) : String(data[key]),
  ]);
}
