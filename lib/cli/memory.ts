import type { ConsolidationReport } from '../../functions/core/memory/consolidation.ts';
import type { ReindexReport } from '../../functions/core/memory/indexer.ts';
import type {
  MemoryHistoryEntry,
  MemoryItem,
  MemorySearchResult,
} from '../../functions/core/memory/schemas.ts';
import type { ApiClient } from './api-client.ts';
import type { Output } from './commands.ts';
import { EXIT } from './errors.ts';

// What `aios memory ...` does once its options are parsed (lib/cli/memory-commands.ts declares them).

const originOf = (origin: MemoryItem['origin']) =>
  [
    origin.runId
      ? `run ${origin.runId}${origin.stepIndex !== undefined ? ` step ${origin.stepIndex + 1}` : ''}`
      : '',
    origin.document ? `document ${origin.document}` : '',
  ]
    .filter(Boolean)
    .join(', ') || '-';

function formatSearch(result: MemorySearchResult): string {
  if (result.hits.length === 0) return `No memories match "${result.query}" (index ${result.indexVersion}).`;
  const lines = [
    `${result.hits.length} of ${result.candidates} candidates for "${result.query}" (index ${result.indexVersion})`,
  ];
  for (const hit of result.hits) {
    lines.push(
      `${String(hit.rank).padStart(3)}. ${hit.score.toFixed(3)}  ${hit.id} v${hit.version}  [${hit.namespace} ${hit.kind} ${hit.tier}]`,
      `       ${hit.text}`,
      `       origin ${originOf(hit.origin)}; vector ${hit.scores.vector.toFixed(3)}, lexical ${hit.scores.lexical.toFixed(3)}; valid from ${hit.validFrom}${hit.validUntil ? ` until ${hit.validUntil}` : ''}`,
    );
  }
  return lines.join('\n');
}

function formatHistory(id: string, versions: readonly MemoryHistoryEntry[]): string {
  return [
    `History of ${id} (${versions.length} version${versions.length === 1 ? '' : 's'})`,
    ...versions.flatMap((v) => [
      `  v${v.version}  ${v.status.padEnd(10)} ${v.recordedAt}  [${v.namespace} ${v.kind} ${v.tier}]${
        v.retiredReason ? ` ${v.retiredReason}${v.consolidatedInto ? ` into ${v.consolidatedInto}` : ''}` : ''
      }`,
      `        ${v.text}`,
      `        origin ${originOf(v.origin)}; valid from ${v.validFrom}${v.validUntil ? ` until ${v.validUntil}` : ''}${
        v.supersededAt ? `; superseded ${v.supersededAt}` : ''
      }`,
    ]),
  ].join('\n');
}

const print = (output: Output, json: boolean, value: unknown, text: () => string) =>
  output.out(json ? JSON.stringify(value, null, 2) : text());

export interface MemoryAddOptions {
  namespace: string;
  kind: string;
  tier: string;
  subject?: string;
  supersedes?: string;
  id?: string;
  ttlDays?: number;
  validUntil?: string;
  document?: string;
  json: boolean;
}

export async function memoryAddCommand(
  api: ApiClient,
  output: Output,
  text: string,
  options: MemoryAddOptions,
) {
  const { item } = await api.request<{ item: MemoryItem }>('POST', '/memory', {
    text,
    namespace: options.namespace,
    kind: options.kind,
    tier: options.tier,
    ...(options.subject ? { subject: options.subject } : {}),
    ...(options.supersedes ? { supersedes: options.supersedes } : {}),
    ...(options.id ? { id: options.id } : {}),
    ...(options.ttlDays ? { ttlDays: options.ttlDays } : {}),
    ...(options.validUntil ? { validUntil: options.validUntil } : {}),
    ...(options.document ? { origin: { document: options.document } } : {}),
  });
  print(
    output,
    options.json,
    item,
    () => `Remembered ${item.id} v${item.version} in ${item.namespace} (${item.kind}, ${item.tier}).`,
  );
  return EXIT.ok;
}

export interface MemorySearchOptions {
  namespace: string;
  kind?: string;
  tier?: string;
  subject?: string;
  since?: string;
  limit: number;
  json: boolean;
}

export async function memorySearchCommand(
  api: ApiClient,
  output: Output,
  query: string,
  options: MemorySearchOptions,
) {
  const params = new URLSearchParams({ q: query, namespace: options.namespace, k: String(options.limit) });
  for (const key of ['kind', 'tier', 'subject', 'since'] as const) {
    const value = options[key];
    if (value) params.set(key, value);
  }
  const result = await api.request<MemorySearchResult>('GET', `/memory/search?${params}`);
  print(output, options.json, result, () => formatSearch(result));
  return EXIT.ok;
}

export async function memoryHistoryCommand(
  api: ApiClient,
  output: Output,
  id: string,
  options: { json: boolean },
) {
  const history = await api.request<{ id: string; versions: MemoryHistoryEntry[] }>(
    'GET',
    `/memory/${encodeURIComponent(id)}/history`,
  );
  print(output, options.json, history, () => formatHistory(id, history.versions));
  return EXIT.ok;
}

export async function memoryReindexCommand(api: ApiClient, output: Output, options: { json: boolean }) {
  const report = await api.request<ReindexReport>('POST', '/memory/reindex', {});
  print(
    output,
    options.json,
    report,
    () =>
      `Index ${report.from ?? '(none)'} → ${report.to}: ${report.items} items read from the log, ${report.indexed} indexed${
        report.dropped.length ? `; dropped ${report.dropped.join(', ')}` : ''
      }.`,
  );
  return EXIT.ok;
}

export async function memoryConsolidateCommand(
  api: ApiClient,
  output: Output,
  options: { asOf?: string; json: boolean },
) {
  const report = await api.request<ConsolidationReport>(
    'POST',
    '/memory/consolidate',
    options.asOf ? { asOf: options.asOf } : {},
  );
  print(output, options.json, report, () =>
    [
      `Consolidated ${report.consolidated} working item(s) into ${report.summaries.length} summar${report.summaries.length === 1 ? 'y' : 'ies'}; retired ${report.expired} expired item(s). ${report.modelCalls} model call(s), $${report.costUsd.toFixed(4)}.`,
      ...report.summaries.map((s) => `  ${s.namespace}: ${s.id} (${s.items} items)`),
    ].join('\n'),
  );
  return EXIT.ok;
}
