import type { Embedder, IndexedDoc, MemoryLog, VectorIndex } from '../ports/memory.ts';
import type { MemoryItem } from './schemas.ts';

export interface MemoryIndexerDeps {
  log: MemoryLog;
  index: VectorIndex;
  embedder: Embedder;
  /** Texts per embedding call. */
  batchSize?: number;
}

export interface ReindexReport {
  from?: string;
  to: string;
  /** Items read from the log (latest version of each). */
  items: number;
  /** Documents in the new version: the active, indexable items. */
  indexed: number;
  dropped: string[];
}

const VERSION_PREFIX = 'v';
export const versionName = (n: number) => `${VERSION_PREFIX}${String(n).padStart(6, '0')}`;
const versionNumber = (name: string) => Number(name.slice(VERSION_PREFIX.length)) || 0;

/** Session items are never indexed; retired items leave the index. */
const indexable = (item: MemoryItem) => item.state === 'active' && item.tier !== 'session';

/** Keeps only the newest version of each id, in first-seen order. */
export function latestPerId(items: readonly MemoryItem[]): MemoryItem[] {
  const latest = new Map<string, MemoryItem>();
  for (const item of items) {
    const seen = latest.get(item.id);
    if (!seen || seen.version < item.version) latest.set(item.id, item);
  }
  return [...latest.values()];
}

/** The newest version of every item in the log. */
export async function readLatest(log: MemoryLog): Promise<MemoryItem[]> {
  const all: MemoryItem[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await log.read(after, 500);
    all.push(...page.entries);
    if (page.entries.length === 0 || !page.last) break;
    after = page.last;
  }
  return latestPerId(all);
}

/**
 * Derives the vector index from the log: the DynamoDB stream handler on AWS and the local tailer
 * both call `apply`; `reindex` rebuilds a new version from the whole log and flips the alias.
 */
export function createMemoryIndexer(deps: MemoryIndexerDeps) {
  const batchSize = deps.batchSize ?? 32;

  async function writeTo(version: string, items: readonly MemoryItem[]): Promise<number> {
    const latest = latestPerId(items);
    const removals = latest.filter((item) => !indexable(item)).map(({ id, version }) => ({ id, version }));
    let pending = latest.filter(indexable);
    if (deps.index.indexedVersion) {
      const known = await Promise.all(
        pending.map((item) => deps.index.indexedVersion?.(version, item.id) ?? undefined),
      );
      pending = pending.filter((item, i) => (known[i] ?? 0) < item.version);
    }
    for (let i = 0; i < pending.length; i += batchSize) {
      const batch = pending.slice(i, i + batchSize);
      const vectors = await deps.embedder.embed(batch.map((item) => item.text));
      await deps.index.upsert(
        version,
        batch.map((item, j): IndexedDoc => {
          const vector = vectors[j];
          if (!vector)
            throw new Error(`the embedder returned ${vectors.length} vectors for ${batch.length} texts`);
          return {
            id: item.id,
            version: item.version,
            namespace: item.namespace,
            kind: item.kind,
            tier: item.tier,
            ...(item.subject ? { subject: item.subject } : {}),
            text: item.text,
            origin: item.origin,
            validFrom: item.validFrom,
            ...(item.validUntil ? { validUntil: item.validUntil } : {}),
            vector,
          };
        }),
      );
    }
    if (removals.length > 0) await deps.index.remove(version, removals);
    return pending.length;
  }

  async function ensureIndex(): Promise<string> {
    const current = await deps.index.currentVersion();
    if (current) return current;
    const first = versionName(1);
    await deps.index.createVersion(first);
    await deps.index.switchAlias(first);
    return first;
  }

  return {
    ensureIndex,

    /** Indexes log entries into the current version and any version a reindex is building. */
    async apply(items: readonly MemoryItem[]): Promise<number> {
      if (items.length === 0) return 0;
      const current = await ensureIndex();
      const targets = [...new Set([current, ...(await deps.log.buildingVersions())])];
      let written = 0;
      for (const target of targets) written += await writeTo(target, items);
      return written;
    },

    /** A log entry disappeared (TTL): index whatever version of the item is left, or drop it. */
    async removed(id: string): Promise<void> {
      const latest = (await deps.log.versions(id)).at(-1);
      if (latest) {
        await this.apply([latest]);
        return;
      }
      const current = await ensureIndex();
      const targets = [...new Set([current, ...(await deps.log.buildingVersions())])];
      for (const target of targets)
        await deps.index.remove(target, [{ id, version: Number.MAX_SAFE_INTEGER }]);
    },

    /**
     * Builds a new index version from the whole log and points the alias at it in one step. While
     * it builds, the indexer writes new entries to it as well, so nothing written meanwhile is lost.
     * The previous version stays for a rollback; older ones are dropped.
     */
    async reindex(): Promise<ReindexReport> {
      const from = await deps.index.currentVersion();
      const existing = await deps.index.listVersions();
      const to = versionName(Math.max(0, ...existing.map(versionNumber)) + 1);
      await deps.log.setBuilding(to, true);
      let items: MemoryItem[];
      try {
        await deps.index.createVersion(to);
        items = await readLatest(deps.log);
        await writeTo(to, items);
        await deps.index.switchAlias(to);
      } finally {
        await deps.log.setBuilding(to, false);
      }
      const dropped = existing.filter((v) => v !== from && v !== to);
      for (const version of dropped) await deps.index.dropVersion(version);
      return {
        ...(from ? { from } : {}),
        to,
        items: items.length,
        indexed: await deps.index.count(to),
        dropped,
      };
    },
  };
}

export type MemoryIndexer = ReturnType<typeof createMemoryIndexer>;
