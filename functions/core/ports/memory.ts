import type { MemoryItem, MemoryTier } from '../memory/schemas.ts';

/** Where an entry sits in the log; opaque, ordered by write time. */
export type LogPosition = string;

/**
 * The write-ahead log of memory: every write lands here first (DynamoDB), and the vector index is
 * derived from it. Versions of an item are immutable once written.
 */
export interface MemoryLog {
  /** Appends one version; ConflictError if that id and version exist (someone else wrote it). */
  append(item: MemoryItem): Promise<void>;
  /** Every version of an item, oldest first; empty when there is none. */
  versions(id: string): Promise<MemoryItem[]>;
  /** The log in write order, after `after` (exclusive), one page at a time. */
  read(after: LogPosition | undefined, limit: number): Promise<{ entries: MemoryItem[]; last?: LogPosition }>;
  /** Position of an entry, as `read` orders them. */
  positionOf(item: MemoryItem): LogPosition;
  /** Index versions being built by a reindex: the indexer writes to them as well as to the current one. */
  buildingVersions(): Promise<string[]>;
  setBuilding(version: string, building: boolean): Promise<void>;
  /** A consumer's durable position in the log (the local indexer's cursor). */
  getCursor(consumer: string): Promise<LogPosition | undefined>;
  setCursor(consumer: string, position: LogPosition): Promise<void>;
  /** The session buffer of one run: cheap, not indexed, dropped when the run ends. */
  appendSession(runId: string, entry: SessionEntry): Promise<void>;
  listSession(runId: string): Promise<SessionEntry[]>;
  dropSession(runId: string): Promise<number>;
}

export interface SessionEntry {
  at: string;
  kind: string;
  text: string;
  data?: Record<string, unknown>;
}

/** What the index stores per item: the vector and the fields filters and results need. */
export interface IndexedDoc {
  id: string;
  version: number;
  namespace: string;
  kind: string;
  tier: MemoryTier;
  subject?: string;
  text: string;
  origin: MemoryItem['origin'];
  validFrom: string;
  validUntil?: string;
  vector: readonly number[] | Float32Array;
}

export interface IndexFilter {
  namespaces: readonly string[];
  kinds?: readonly string[];
  tiers?: readonly string[];
  subjects?: readonly string[];
  /** validFrom >= since */
  since?: string;
  /** validFrom < before */
  before?: string;
  /** Only items still valid at this instant: validFrom <= validAt and (no validUntil or validUntil > validAt). */
  validAt: string;
}

export interface IndexCandidate {
  doc: Omit<IndexedDoc, 'vector'>;
  /** Cosine similarity in [-1, 1]. */
  cosine: number;
}

/**
 * A vector index kept in versions behind an alias: a reindex builds a new version and flips the
 * alias atomically; searches go through the alias and say which version answered.
 */
export interface VectorIndex {
  readonly dimensions: number;
  /** The version the alias points at, if any. */
  currentVersion(): Promise<string | undefined>;
  listVersions(): Promise<string[]>;
  createVersion(version: string): Promise<void>;
  dropVersion(version: string): Promise<void>;
  /** Points the alias at `version` in one atomic step. */
  switchAlias(version: string): Promise<void>;
  /** Writes docs; a doc older than (or as old as) the one indexed under its id is ignored. */
  upsert(version: string, docs: readonly IndexedDoc[]): Promise<void>;
  /** Removes the ids whose indexed version is at most the given one. */
  remove(version: string, refs: readonly { id: string; version: number }[]): Promise<void>;
  /** The top `candidates` by cosine under the filter, through the alias. */
  search(query: {
    vector: readonly number[] | Float32Array;
    filter: IndexFilter;
    candidates: number;
  }): Promise<{ version: string; candidates: IndexCandidate[] }>;
  /** Documents in a version (for checks and the bench). */
  count(version: string): Promise<number>;
  /** The version of an id in an index version, if indexed; lets a re-delivery skip the embedding. */
  indexedVersion?(version: string, id: string): Promise<number | undefined>;
}

export interface Embedder {
  readonly modelId: string;
  readonly dimensions: number;
  /** One L2-normalised vector per text, in order. */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}
