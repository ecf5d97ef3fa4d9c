import { type Command, InvalidArgumentError } from 'commander';
import type { ConsolidationReport } from '../../functions/core/memory/consolidation.ts';
import type { ReindexReport } from '../../functions/core/memory/indexer.ts';
import type {
  MemoryHistoryEntry,
  MemoryItem,
  MemorySearchResult,
} from '../../functions/core/memory/schemas.ts';
import { type ApiClient, EXIT } from './api-client.ts';
import type { Output } from './commands.ts';

const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive whole number');
  return n;
};

const positiveNumber = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
};

const originOf = (origin: MemoryItem['origin']) =>
  [
    origin.runId
      ? `run ${origin.runId}${origin.stepIndex !== undefined ? ` step ${origin.stepIndex + 1}` : ''}`
      : '',
    origin.document ? `document ${origin.document}` : '',
  ]
    .filter(Boolean)
    .join(', ') || '-';

export function formatSearch(result: MemorySearchResult): string {
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

export function formatHistory(id: string, versions: readonly MemoryHistoryEntry[]): string {
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

/** `aios memory add | search | history | reindex | consolidate`, all through the API. */
export function registerMemoryCommands(
  program: Command,
  deps: {
    client: () => Promise<ApiClient>;
    output: Output;
    exitWith: (action: () => Promise<number>) => Promise<void>;
  },
) {
  const { output, exitWith } = deps;
  const print = (json: boolean, value: unknown, text: () => string) =>
    output.out(json ? JSON.stringify(value, null, 2) : text());
  const memory = program
    .command('memory')
    .description('the memory: add, search and inspect items; rebuild the index; consolidate working memory');

  memory
    .command('add')
    .description('write a memory item (to the log first, then the index)')
    .argument('<text>', 'what to remember')
    .requiredOption('--namespace <namespace>', 'operator, customer:<id> or project:<id>')
    .requiredOption('--kind <kind>', 'fact, playbook, postmortem, decision, contract, ...')
    .option('--tier <tier>', 'working or long-term', 'long-term')
    .option('--subject <subject>', 'what it is about, e.g. workflow:onboarding')
    .option('--supersedes <id>', 'write a new version of this item')
    .option('--id <id>', 'an id of your own (makes the write idempotent)')
    .option('--ttl-days <days>', 'working memory: days until it is consolidated', positiveNumber)
    .option('--valid-until <iso>', 'no longer valid after this instant')
    .option('--document <name>', 'origin: the document it came from')
    .option('--json', 'print JSON', false)
    .action(
      async (
        text: string,
        options: {
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
        },
      ) => {
        await exitWith(async () => {
          const { item } = await (await deps.client()).request<{ item: MemoryItem }>('POST', '/memory', {
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
            options.json,
            item,
            () => `Remembered ${item.id} v${item.version} in ${item.namespace} (${item.kind}, ${item.tier}).`,
          );
          return EXIT.ok;
        });
      },
    );

  memory
    .command('search')
    .description('ranked memories for a query, each with its origin and score')
    .argument('<query>')
    .requiredOption('--namespace <namespaces>', 'where to search (comma-separated)')
    .option('--kind <kinds>', 'only these kinds (comma-separated)')
    .option('--tier <tiers>', 'only these tiers: working, long-term (comma-separated)')
    .option('--subject <subjects>', 'only items about these (comma-separated)')
    .option('--since <iso>', 'only items valid from this instant on')
    .option('-k, --limit <k>', 'how many results', positiveInt, 10)
    .option('--json', 'print JSON', false)
    .action(
      async (
        query: string,
        options: {
          namespace: string;
          kind?: string;
          tier?: string;
          subject?: string;
          since?: string;
          limit: number;
          json: boolean;
        },
      ) => {
        await exitWith(async () => {
          const params = new URLSearchParams({
            q: query,
            namespace: options.namespace,
            k: String(options.limit),
          });
          for (const key of ['kind', 'tier', 'subject', 'since'] as const) {
            const value = options[key];
            if (value) params.set(key, value);
          }
          const result = await (await deps.client()).request<MemorySearchResult>(
            'GET',
            `/memory/search?${params}`,
          );
          print(options.json, result, () => formatSearch(result));
          return EXIT.ok;
        });
      },
    );

  memory
    .command('history')
    .description('every version of a memory item, and how each stands')
    .argument('<id>')
    .option('--json', 'print JSON', false)
    .action(async (id: string, options: { json: boolean }) => {
      await exitWith(async () => {
        const history = await (await deps.client()).request<{ id: string; versions: MemoryHistoryEntry[] }>(
          'GET',
          `/memory/${encodeURIComponent(id)}/history`,
        );
        print(options.json, history, () => formatHistory(id, history.versions));
        return EXIT.ok;
      });
    });

  memory
    .command('reindex')
    .description('build a new index version from the log and switch the alias to it')
    .option('--json', 'print JSON', false)
    .action(async (options: { json: boolean }) => {
      await exitWith(async () => {
        const report = await (await deps.client()).request<ReindexReport>('POST', '/memory/reindex', {});
        print(
          options.json,
          report,
          () =>
            `Index ${report.from ?? '(none)'} → ${report.to}: ${report.items} items read from the log, ${report.indexed} indexed${
              report.dropped.length ? `; dropped ${report.dropped.join(', ')}` : ''
            }.`,
        );
        return EXIT.ok;
      });
    });

  memory
    .command('consolidate')
    .description('summarise expired working memory into long-term memory and retire what has expired')
    .option('--as-of <iso>', 'evaluate expiry as of this instant')
    .option('--json', 'print JSON', false)
    .action(async (options: { asOf?: string; json: boolean }) => {
      await exitWith(async () => {
        const report = await (await deps.client()).request<ConsolidationReport>(
          'POST',
          '/memory/consolidate',
          options.asOf ? { asOf: options.asOf } : {},
        );
        print(options.json, report, () =>
          [
            `Consolidated ${report.consolidated} working item(s) into ${report.summaries.length} summar${report.summaries.length === 1 ? 'y' : 'ies'}; retired ${report.expired} expired item(s). ${report.modelCalls} model call(s), $${report.costUsd.toFixed(4)}.`,
            ...report.summaries.map((s) => `  ${s.namespace}: ${s.id} (${s.items} items)`),
          ].join('\n'),
        );
        return EXIT.ok;
      });
    });
}
