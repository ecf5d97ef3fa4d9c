import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDiskVectorIndex } from '../functions/adapters/local/disk-vector-index.ts';
import type { IndexedDoc, IndexFilter } from '../functions/core/ports/memory.ts';
import { ms, percentile } from './stats.ts';
import { renderTable } from './table.ts';

const DIMS = 384;
const QUERIES = 200;
const K = 10;
/** Sizes measured; `AIOS_BENCH_MEMORY_SIZES=10000` skips the 100k case on a slow machine. */
const SIZES = (process.env.AIOS_BENCH_MEMORY_SIZES ?? '10000,100000').split(',').map(Number);

/** A seeded generator, so every run measures the same data. */
function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normalise(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n) || 1;
  for (let i = 0; i < v.length; i += 1) v[i] = (v[i] as number) / n;
  return v;
}

/** Clustered vectors (200 topics plus noise), closer to embeddings of real notes than uniform noise. */
function dataset(n: number, seed: number) {
  const random = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random());
  const centres = Array.from({ length: 200 }, () => normalise(Float32Array.from({ length: DIMS }, gauss)));
  const point = () => {
    const centre = centres[Math.floor(random() * centres.length)] as Float32Array;
    return normalise(Float32Array.from(centre, (c) => c + 0.08 * gauss()));
  };
  return { vectors: Array.from({ length: n }, point), queries: Array.from({ length: QUERIES }, point) };
}

const dot = (a: Float32Array, b: Float32Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i += 1) s += (a[i] as number) * (b[i] as number);
  return s;
};

/** An approximate alternative measured beside the exact index: IVF (k-means lists, probe a few). */
function buildIvf(vectors: Float32Array[], lists: number, seed: number) {
  const random = mulberry32(seed);
  const sample = Array.from(
    { length: Math.min(vectors.length, 10_000) },
    () => vectors[Math.floor(random() * vectors.length)] as Float32Array,
  );
  let centroids: Float32Array[] = Array.from({ length: lists }, (_, i) =>
    Float32Array.from(sample[i] as Float32Array),
  );
  const nearest = (v: Float32Array) => {
    let best = 0;
    let bestScore = -Infinity;
    centroids.forEach((c, i) => {
      const s = dot(v, c);
      if (s > bestScore) {
        bestScore = s;
        best = i;
      }
    });
    return best;
  };
  for (let iteration = 0; iteration < 4; iteration += 1) {
    const sums = centroids.map(() => new Float32Array(DIMS));
    for (const v of sample) {
      const sum = sums[nearest(v)] as Float32Array;
      for (let i = 0; i < DIMS; i += 1) sum[i] = (sum[i] as number) + (v[i] as number);
    }
    centroids = sums.map((sum, i) =>
      sum.some((x) => x !== 0) ? normalise(sum) : (centroids[i] as Float32Array),
    );
  }
  const members: number[][] = centroids.map(() => []);
  vectors.forEach((v, row) => {
    members[nearest(v)]?.push(row);
  });
  return {
    search(query: Float32Array, k: number, probes: number): number[] {
      const order = centroids.map((c, i) => [dot(query, c), i] as const).sort((a, b) => b[0] - a[0]);
      const scored: [number, number][] = [];
      for (const [, list] of order.slice(0, probes)) {
        for (const row of members[list] ?? []) scored.push([dot(query, vectors[row] as Float32Array), row]);
      }
      return scored
        .sort((a, b) => b[0] - a[0] || a[1] - b[1])
        .slice(0, k)
        .map(([, row]) => row);
    },
  };
}

export interface MemoryBenchRow {
  index: string;
  items: number;
  buildMs: number;
  reopenMs?: number;
  p50: number;
  p99: number;
  recall: number;
}

async function benchSize(n: number): Promise<MemoryBenchRow[]> {
  const { vectors, queries } = dataset(n, n);
  const dir = mkdtempSync(join(tmpdir(), 'aios-bench-memory-'));
  try {
    const index = openDiskVectorIndex({ dir, dimensions: DIMS });
    const docOf = (vector: Float32Array, row: number): IndexedDoc => ({
      id: `m${String(row).padStart(7, '0')}`,
      version: 1,
      namespace: 'operator',
      kind: 'fact',
      tier: 'long-term',
      text: `item ${row}`,
      origin: {},
      validFrom: '2026-01-01T00:00:00.000Z',
      vector,
    });
    const buildStart = performance.now();
    await index.createVersion('v000001');
    await index.switchAlias('v000001');
    for (let i = 0; i < n; i += 1000) {
      await index.upsert(
        'v000001',
        vectors.slice(i, i + 1000).map((v, j) => docOf(v, i + j)),
      );
    }
    await index.flush();
    const buildMs = performance.now() - buildStart;
    const reopenStart = performance.now();
    const reopened = openDiskVectorIndex({ dir, dimensions: DIMS });
    await reopened.count('v000001');
    const reopenMs = performance.now() - reopenStart;

    const filter: IndexFilter = { namespaces: ['operator'], validAt: '2026-11-25T00:00:00.000Z' };
    const exactTimes: number[] = [];
    const truth: number[][] = [];
    for (const query of queries) {
      const start = performance.now();
      const { candidates } = await reopened.search({ vector: query, filter, candidates: K });
      exactTimes.push(performance.now() - start);
      truth.push(candidates.map((c) => Number(c.doc.id.slice(1))));
    }
    // Ground truth by brute force outside the index, to check the index's own answers.
    const bruteTop = (query: Float32Array) =>
      vectors
        .map((v, row) => [dot(query, v), row] as const)
        .sort((a, b) => b[0] - a[0] || a[1] - b[1])
        .slice(0, K)
        .map(([, row]) => row);
    const recallOf = (answers: number[][]) =>
      answers.reduce((sum, answer, q) => {
        const exact = new Set(bruteTop(queries[q] as Float32Array));
        return sum + answer.filter((row) => exact.has(row)).length / K;
      }, 0) / answers.length;

    const rows: MemoryBenchRow[] = [
      {
        index: 'local exact (disk, Float32Array scan)',
        items: n,
        buildMs,
        reopenMs,
        p50: percentile(exactTimes, 50),
        p99: percentile(exactTimes, 99),
        recall: recallOf(truth),
      },
    ];

    const lists = Math.round(Math.sqrt(n) / 2);
    const ivfStart = performance.now();
    const ivf = buildIvf(vectors, lists, 7);
    const ivfBuildMs = performance.now() - ivfStart;
    for (const probes of [Math.max(1, Math.round(lists / 20)), Math.max(2, Math.round(lists / 8))]) {
      const times: number[] = [];
      const answers: number[][] = [];
      for (const query of queries) {
        const start = performance.now();
        answers.push(ivf.search(query, K, probes));
        times.push(performance.now() - start);
      }
      rows.push({
        index: `IVF, in memory (${lists} lists, ${probes} probed)`,
        items: n,
        buildMs: ivfBuildMs,
        p50: percentile(times, 50),
        p99: percentile(times, 99),
        recall: recallOf(answers),
      });
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function memorySection(say: (text?: string) => void) {
  say();
  say(`## (c) Memory index: ${DIMS} dimensions, ${QUERIES} queries, recall@${K} against brute force`);
  say();
  const rows: MemoryBenchRow[] = [];
  for (const n of SIZES) rows.push(...(await benchSize(n)));
  say(
    renderTable(
      [
        { header: 'index' },
        { header: 'items', align: 'right' },
        { header: 'build ms', align: 'right' },
        { header: 'reopen ms', align: 'right' },
        { header: 'query p50 ms', align: 'right' },
        { header: 'query p99 ms', align: 'right' },
        { header: `recall@${K}`, align: 'right' },
      ],
      rows.map((r) => [
        r.index,
        String(r.items),
        ms(r.buildMs, 0),
        r.reopenMs === undefined ? '-' : ms(r.reopenMs, 0),
        ms(r.p50, 2),
        ms(r.p99, 2),
        r.recall.toFixed(3),
      ]),
    ),
  );
  say();
  say('- The local index is exact: every query scans every vector that passes the filter, so its recall is');
  say('  1.0 by construction (the column checks it against a separate brute force). Build = upserts in');
  say('  batches of 1000 including the JSON-lines writes to disk; reopen = replaying that file at start-up.');
  say('- IVF is measured as the approximate option a bigger local index would need: k-means lists trained');
  say('  on up to 10k vectors; it is not what aios runs. On AWS the same port is OpenSearch HNSW (lucene).');
  say('- Data: clustered synthetic unit vectors (200 topics + noise), seeded; queries from the same');
  say('  distribution. Sizes from AIOS_BENCH_MEMORY_SIZES (default 10000,100000).');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await memorySection((text = '') => process.stdout.write(`${text}\n`));
}
