import { randomBytes } from 'node:crypto';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import type { Embedder, MemoryLog, SessionEntry, VectorIndex } from '../ports/memory.ts';
import type { Clock } from '../ports.ts';
import { parseOrThrow } from '../validation.ts';
import {
  type MemoryHistoryEntry,
  type MemoryItem,
  MemoryItemSchema,
  MemorySearchRequestSchema,
  type MemorySearchResult,
  MemoryWriteRequestSchema,
} from './schemas.ts';
import { candidatePool, rankCandidates } from './scoring.ts';

export interface MemoryServiceDeps {
  log: MemoryLog;
  index: VectorIndex;
  embedder: Embedder;
  clock: Clock;
  /** Runs before each search. Locally the indexer catches up with the log, so a search reads its own writes. */
  beforeSearch?: () => Promise<void>;
  /** Runs after each write. Locally it wakes the indexer. */
  afterWrite?: () => void;
  newId?: () => string;
}

const DAY_MS = 86_400_000;
/** Working memory is due for consolidation this long after it was written, unless told otherwise. */
export const DEFAULT_WORKING_TTL_DAYS = 7;

const defaultId = () => `mem-${randomBytes(6).toString('hex')}`;

export type MemoryWriterDeps = Pick<MemoryServiceDeps, 'log' | 'clock' | 'afterWrite' | 'newId'>;

/**
 * The half of the memory service that needs only the log (writes and the run's session buffer),
 * for what only writes: on AWS the executor's and run recorder's roles reach neither OpenSearch
 * nor Bedrock.
 */
export function createMemoryWriter(deps: MemoryWriterDeps) {
  const newId = deps.newId ?? defaultId;

  async function latestOf(id: string): Promise<MemoryItem | undefined> {
    return (await deps.log.versions(id)).at(-1);
  }

  return {
    /**
     * Appends a new item, or with `supersedes` a new version of an existing item. A repeated write
     * with the same caller-chosen id and text returns the item already written.
     */
    async write(input: unknown): Promise<MemoryItem> {
      const request = parseOrThrow(MemoryWriteRequestSchema, input, 'memory item');
      const now = deps.clock.now();
      const validFrom = request.validFrom ?? now.toISOString();
      const validUntil =
        request.validUntil ??
        (request.tier === 'working'
          ? new Date(
              Date.parse(validFrom) + (request.ttlDays ?? DEFAULT_WORKING_TTL_DAYS) * DAY_MS,
            ).toISOString()
          : undefined);
      const base = {
        namespace: request.namespace,
        kind: request.kind,
        tier: request.tier,
        text: request.text,
        ...(request.subject ? { subject: request.subject } : {}),
        origin: request.origin,
        validFrom,
        ...(validUntil ? { validUntil } : {}),
        state: 'active' as const,
        recordedAt: now.toISOString(),
      };

      let item: MemoryItem;
      if (request.supersedes) {
        const latest = await latestOf(request.supersedes);
        if (!latest) throw new NotFoundError(`memory item ${request.supersedes} does not exist`);
        if (latest.state === 'retired') {
          throw new ConflictError(
            `memory item ${latest.id} was retired (${latest.retiredReason}); write a new item instead`,
          );
        }
        if (latest.namespace !== request.namespace) {
          throw new ValidationError(
            `memory item is invalid: namespace: ${latest.id} lives in ${latest.namespace}; a new version cannot move it to ${request.namespace}`,
            [{ path: 'namespace', message: `must be ${latest.namespace}, the namespace of ${latest.id}` }],
          );
        }
        item = {
          ...base,
          id: latest.id,
          version: latest.version + 1,
          supersedes: { id: latest.id, version: latest.version },
        };
      } else {
        const id = request.id ?? newId();
        if (request.id) {
          const existing = await latestOf(request.id);
          if (existing) {
            if (existing.text === request.text && existing.namespace === request.namespace) return existing;
            throw new ConflictError(
              `memory item ${request.id} exists with other content; supersede it instead`,
            );
          }
        }
        item = { ...base, id, version: 1 };
      }
      await deps.log.append(MemoryItemSchema.parse(item));
      deps.afterWrite?.();
      return item;
    },

    /** The run's session buffer: a scratchpad that is never indexed and goes when the run ends. */
    session(runId: string) {
      return {
        add: (entry: Omit<SessionEntry, 'at'>) =>
          deps.log.appendSession(runId, { ...entry, at: deps.clock.now().toISOString() }),
        list: () => deps.log.listSession(runId),
        drop: () => deps.log.dropSession(runId),
      };
    },
  };
}

/** Writes go to the log (the WAL); searches go to the vector index derived from it. */
export function createMemoryService(deps: MemoryServiceDeps) {
  const service = {
    ...createMemoryWriter(deps),

    /** Ranked, explained results from the current index version; the namespace filter is mandatory. */
    async search(input: unknown, options: { explain?: number } = {}): Promise<MemorySearchResult> {
      const request = parseOrThrow(MemorySearchRequestSchema, input, 'search');
      await deps.beforeSearch?.();
      const [vector] = await deps.embedder.embed([request.q]);
      if (!vector) throw new Error('the embedder returned no vector');
      const found = await deps.index.search({
        vector,
        candidates: candidatePool(request.k),
        filter: {
          namespaces: request.namespace,
          ...(request.kind ? { kinds: request.kind } : {}),
          ...(request.tier ? { tiers: request.tier } : {}),
          ...(request.subject ? { subjects: request.subject } : {}),
          ...(request.since ? { since: request.since } : {}),
          ...(request.before ? { before: request.before } : {}),
          validAt: deps.clock.now().toISOString(),
        },
      });
      const ranked = rankCandidates(request.q, found.candidates, Math.max(request.k, options.explain ?? 0));
      return {
        query: request.q,
        indexVersion: found.version,
        candidates: found.candidates.length,
        hits: ranked.slice(0, request.k),
        ...(options.explain ? { considered: ranked } : {}),
      };
    },

    /** Every version of an item, oldest first, each with how it stands now. */
    async history(id: string): Promise<{ id: string; versions: MemoryHistoryEntry[] }> {
      const versions = await deps.log.versions(id);
      if (versions.length === 0) throw new NotFoundError(`memory item ${id} does not exist`);
      const now = deps.clock.now().toISOString();
      return {
        id,
        versions: versions.map((item, i): MemoryHistoryEntry => {
          const next = versions[i + 1];
          if (next)
            return {
              ...item,
              status: next.state === 'retired' && item.state === 'active' ? 'retired' : 'superseded',
              supersededAt: next.recordedAt,
            };
          if (item.state === 'retired') return { ...item, status: 'retired' };
          return { ...item, status: item.validUntil && item.validUntil <= now ? 'expired' : 'current' };
        }),
      };
    },

    /** Appends a retired version: the item leaves retrieval and stays in history. */
    async retire(
      item: MemoryItem,
      reason: NonNullable<MemoryItem['retiredReason']>,
      consolidatedInto?: string,
    ): Promise<MemoryItem> {
      const retired: MemoryItem = {
        ...item,
        version: item.version + 1,
        supersedes: { id: item.id, version: item.version },
        state: 'retired',
        retiredReason: reason,
        ...(consolidatedInto ? { consolidatedInto } : {}),
        recordedAt: deps.clock.now().toISOString(),
      };
      await deps.log.append(retired);
      deps.afterWrite?.();
      return retired;
    },
  };
  return service;
}

export type MemoryService = ReturnType<typeof createMemoryService>;
