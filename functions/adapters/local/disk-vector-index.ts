import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { IndexCandidate, IndexedDoc, IndexFilter, VectorIndex } from '../../core/ports/memory.ts';

export interface DiskVectorIndexOptions {
  /** `<dataDir>/memory`: one directory per index version plus `alias.json`. */
  dir: string;
  dimensions: number;
}

type DocMeta = Omit<IndexedDoc, 'vector'>;

/**
 * One index version in memory: metadata per row and every vector in one contiguous Float32Array,
 * so an exact search is a tight loop of dot products. Its file is an append-only JSON-lines log of
 * puts and removals, replayed on open and compacted when it has grown to twice what it holds.
 */
class Segment {
  readonly rowOf = new Map<string, number>();
  readonly meta: (DocMeta | undefined)[] = [];
  /** For every id ever removed, the version removed: an older put arriving late is ignored. */
  readonly removed = new Map<string, number>();
  private readonly free: number[] = [];
  vectors: Float32Array;
  norms: Float32Array;
  lines = 0;
  private pending: Promise<void> = Promise.resolve();

  constructor(
    readonly file: string,
    readonly dimensions: number,
  ) {
    this.vectors = new Float32Array(1024 * dimensions);
    this.norms = new Float32Array(1024);
  }

  get size() {
    return this.rowOf.size;
  }

  versionOf(id: string): number | undefined {
    const row = this.rowOf.get(id);
    return row === undefined ? undefined : this.meta[row]?.version;
  }

  /** Applies a put in memory; false when an equal or newer version is already known. */
  put(meta: DocMeta, vector: ArrayLike<number>): boolean {
    const known = Math.max(this.versionOf(meta.id) ?? 0, this.removed.get(meta.id) ?? 0);
    if (known >= meta.version) return false;
    if (vector.length !== this.dimensions) {
      throw new Error(`vector of ${vector.length} dimensions for an index of ${this.dimensions}`);
    }
    let row = this.rowOf.get(meta.id);
    if (row === undefined) {
      row = this.free.pop() ?? this.meta.length;
      if ((row + 1) * this.dimensions > this.vectors.length) this.grow();
      this.rowOf.set(meta.id, row);
    }
    this.meta[row] = meta;
    let norm = 0;
    const offset = row * this.dimensions;
    for (let i = 0; i < this.dimensions; i += 1) {
      const x = vector[i] as number;
      this.vectors[offset + i] = x;
      norm += x * x;
    }
    this.norms[row] = Math.sqrt(norm);
    return true;
  }

  remove(id: string, version: number): boolean {
    this.removed.set(id, Math.max(version, this.removed.get(id) ?? 0));
    const row = this.rowOf.get(id);
    if (row === undefined || (this.meta[row]?.version ?? 0) > version) return false;
    this.rowOf.delete(id);
    this.meta[row] = undefined;
    this.free.push(row);
    return true;
  }

  private grow() {
    const vectors = new Float32Array(this.vectors.length * 2);
    vectors.set(this.vectors);
    this.vectors = vectors;
    const norms = new Float32Array(this.norms.length * 2);
    norms.set(this.norms);
    this.norms = norms;
  }

  /** Appends lines to the file, in call order. */
  write(lines: string[]): Promise<void> {
    if (lines.length === 0) return this.pending;
    this.lines += lines.length;
    this.pending = this.pending.then(() => appendFile(this.file, `${lines.join('\n')}\n`));
    return this.pending;
  }

  flushed(): Promise<void> {
    return this.pending;
  }

  vectorOf(row: number): Float32Array {
    return this.vectors.subarray(row * this.dimensions, (row + 1) * this.dimensions);
  }

  rows(): number {
    return this.meta.length;
  }
}

const encodeVector = (vector: ArrayLike<number>) =>
  Buffer.from(Float32Array.from(vector as ArrayLike<number>).buffer).toString('base64');
const decodeVector = (text: string) => {
  const bytes = Buffer.from(text, 'base64');
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
};

function matches(meta: DocMeta, filter: IndexFilter): boolean {
  if (!filter.namespaces.includes(meta.namespace)) return false;
  if (filter.kinds && !filter.kinds.includes(meta.kind)) return false;
  if (filter.tiers && !filter.tiers.includes(meta.tier)) return false;
  if (filter.subjects && !(meta.subject && filter.subjects.includes(meta.subject))) return false;
  if (filter.since && meta.validFrom < filter.since) return false;
  if (filter.before && meta.validFrom >= filter.before) return false;
  if (meta.validFrom > filter.validAt) return false;
  if (meta.validUntil && meta.validUntil <= filter.validAt) return false;
  return true;
}

/** Orders candidates worst first: lower cosine, then larger id; a total order, so the pool is stable. */
const worse = (a: { cosine: number; id: string }, b: { cosine: number; id: string }) =>
  a.cosine < b.cosine || (a.cosine === b.cosine && a.id > b.id);

/**
 * The local vector index: exact cosine search over every document that passes the filter, kept on
 * disk under `<dataDir>/memory/`, with versions and an alias like the OpenSearch one.
 */
export function openDiskVectorIndex(options: DiskVectorIndexOptions): VectorIndex & {
  /** Waits for every pending file write. */
  flush(): Promise<void>;
} {
  const { dir, dimensions } = options;
  mkdirSync(dir, { recursive: true });
  const aliasFile = join(dir, 'alias.json');
  const segments = new Map<string, Segment>();

  const checkName = (version: string) => {
    if (!/^v\d{1,12}$/.test(version)) throw new Error(`invalid index version name ${version}`);
  };

  function load(version: string): Segment {
    checkName(version);
    const cached = segments.get(version);
    if (cached) return cached;
    const versionDir = join(dir, version);
    if (!existsSync(versionDir)) throw new Error(`index version ${version} does not exist`);
    const manifest = JSON.parse(readFileSync(join(versionDir, 'manifest.json'), 'utf8')) as {
      dimensions: number;
    };
    if (manifest.dimensions !== dimensions) {
      throw new Error(
        `index version ${version} has ${manifest.dimensions} dimensions, the embedder ${dimensions}; reindex`,
      );
    }
    const file = join(versionDir, 'docs.jsonl');
    const segment = new Segment(file, dimensions);
    if (existsSync(file)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (!line) continue;
        let op: { op: 'put'; doc: DocMeta & { vector: string } } | { op: 'del'; id: string; version: number };
        try {
          op = JSON.parse(line);
        } catch {
          continue; // a line torn by a crash mid-append; the log (WAL) still has that write
        }
        segment.lines += 1;
        if (op.op === 'put') {
          const { vector, ...meta } = op.doc;
          segment.put(meta, decodeVector(vector));
        } else segment.remove(op.id, op.version);
      }
      if (segment.lines > 2 * segment.size + 1000) compact(segment);
    }
    segments.set(version, segment);
    return segment;
  }

  function compact(segment: Segment) {
    const lines: string[] = [];
    for (let row = 0; row < segment.rows(); row += 1) {
      const meta = segment.meta[row];
      if (meta)
        lines.push(
          JSON.stringify({ op: 'put', doc: { ...meta, vector: encodeVector(segment.vectorOf(row)) } }),
        );
    }
    for (const [id, version] of segment.removed) lines.push(JSON.stringify({ op: 'del', id, version }));
    const tmp = `${segment.file}.tmp`;
    writeFileSync(tmp, lines.length ? `${lines.join('\n')}\n` : '');
    renameSync(tmp, segment.file);
    segment.lines = lines.length;
  }

  const readAlias = (): string | undefined => {
    if (!existsSync(aliasFile)) return undefined;
    const alias = JSON.parse(readFileSync(aliasFile, 'utf8')) as { version?: string };
    return alias.version;
  };

  return {
    dimensions,

    async currentVersion() {
      return readAlias();
    },

    async listVersions() {
      return readdirSync(dir, { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && /^v\d+$/.test(entry.name))
        .map((entry) => entry.name)
        .sort();
    },

    async createVersion(version) {
      checkName(version);
      const versionDir = join(dir, version);
      mkdirSync(versionDir, { recursive: true });
      writeFileSync(join(versionDir, 'manifest.json'), JSON.stringify({ dimensions, metric: 'cosine' }));
    },

    async dropVersion(version) {
      checkName(version);
      if (readAlias() === version)
        throw new Error(`index version ${version} is behind the alias; switch first`);
      await segments.get(version)?.flushed();
      segments.delete(version);
      rmSync(join(dir, version), { recursive: true, force: true });
    },

    async switchAlias(version) {
      load(version);
      // A rename is atomic: a reader sees the old alias or the new one, never half of either.
      const tmp = `${aliasFile}.tmp`;
      writeFileSync(tmp, JSON.stringify({ alias: 'aios-memory', version }));
      renameSync(tmp, aliasFile);
    },

    async upsert(version, docs) {
      const segment = load(version);
      const lines: string[] = [];
      for (const { vector, ...meta } of docs) {
        if (segment.put(meta, vector))
          lines.push(JSON.stringify({ op: 'put', doc: { ...meta, vector: encodeVector(vector) } }));
      }
      await segment.write(lines);
    },

    async remove(version, refs) {
      const segment = load(version);
      const lines = refs.map(({ id, version: v }) => {
        segment.remove(id, v);
        return JSON.stringify({ op: 'del', id, version: v });
      });
      await segment.write(lines);
    },

    async search({ vector, filter, candidates }) {
      const version = readAlias();
      if (!version) throw new Error('the memory index has no version yet');
      const segment = load(version);
      let queryNorm = 0;
      for (let i = 0; i < dimensions; i += 1) queryNorm += (vector[i] as number) ** 2;
      queryNorm = Math.sqrt(queryNorm);
      // A bounded min-heap of the best `candidates` rows.
      const heap: { row: number; cosine: number; id: string }[] = [];
      const swap = (i: number, j: number) => {
        const t = heap[i] as (typeof heap)[number];
        heap[i] = heap[j] as (typeof heap)[number];
        heap[j] = t;
      };
      const siftDown = (start: number) => {
        let i = start;
        for (;;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < heap.length && worse(heap[l] as never, heap[m] as never)) m = l;
          if (r < heap.length && worse(heap[r] as never, heap[m] as never)) m = r;
          if (m === i) return;
          swap(i, m);
          i = m;
        }
      };
      const vectors = segment.vectors;
      for (let row = 0; row < segment.rows(); row += 1) {
        const meta = segment.meta[row];
        if (!meta || !matches(meta, filter)) continue;
        const offset = row * dimensions;
        let dot = 0;
        for (let i = 0; i < dimensions; i += 1)
          dot += (vectors[offset + i] as number) * (vector[i] as number);
        const norm = (segment.norms[row] as number) * queryNorm;
        const entry = { row, cosine: norm === 0 ? 0 : dot / norm, id: meta.id };
        if (heap.length < candidates) {
          heap.push(entry);
          let i = heap.length - 1;
          while (i > 0) {
            const parent = (i - 1) >> 1;
            if (!worse(heap[i] as never, heap[parent] as never)) break;
            swap(i, parent);
            i = parent;
          }
        } else if (heap[0] && worse(heap[0], entry)) {
          heap[0] = entry;
          siftDown(0);
        }
      }
      const found: IndexCandidate[] = heap
        .sort((a, b) => (worse(a, b) ? 1 : worse(b, a) ? -1 : 0))
        .map(({ row, cosine }) => ({ doc: segment.meta[row] as DocMeta, cosine }));
      return { version, candidates: found };
    },

    async count(version) {
      return load(version).size;
    },

    async indexedVersion(version, id) {
      return load(version).versionOf(id);
    },

    async flush() {
      await Promise.all([...segments.values()].map((s) => s.flushed()));
    },
  };
}
