import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDiskVectorIndex } from '../../../functions/adapters/local/disk-vector-index.ts';
import { createHashingEmbedder } from '../../../functions/adapters/local/hashing-embedder.ts';
import { rankCandidates } from '../../../functions/core/memory/scoring.ts';
import type { IndexCandidate } from '../../../functions/core/ports/memory.ts';

const candidate = (
  id: string,
  cosine: number,
  text: string,
  validFrom = '2026-11-01T00:00:00.000Z',
): IndexCandidate => ({
  doc: {
    id,
    version: 1,
    namespace: 'operator',
    kind: 'fact',
    tier: 'long-term',
    text,
    origin: {},
    validFrom,
  },
  cosine,
});

describe('memory scoring', () => {
  it('combines 0.75 × cosine and 0.25 × the share of query terms, and breaks ties by newer, then smaller id', () => {
    const candidates = [
      candidate('b', 0.5, 'unrelated words'),
      candidate('a', 0.5, 'unrelated words'),
      candidate('c', 0.5, 'unrelated words', '2026-11-02T00:00:00.000Z'),
      candidate('d', 0.4, 'Acme payment terms'),
    ];
    const ranked = rankCandidates('payment terms', candidates, 10);
    expect(ranked.map((h) => [h.id, h.score])).toEqual([
      ['d', 0.55],
      ['c', 0.375],
      ['a', 0.375],
      ['b', 0.375],
    ]);
    // The same candidates in any order give the same ranking.
    expect(rankCandidates('payment terms', [...candidates].reverse(), 10)).toEqual(ranked);
  });
});

describe('offline hashing embedder', () => {
  it('is deterministic, 384-dimensional, unit length, and puts shared words close', async () => {
    const embedder = createHashingEmbedder();
    const [a, b, c, again] = await embedder.embed([
      'Acme pays invoices net 30',
      'Acme paying invoice net 30 days',
      'The kickoff call is on Thursday',
      'Acme pays invoices net 30',
    ]);
    expect(a).toHaveLength(384);
    expect([...(a ?? [])]).toEqual([...(again ?? [])]);
    const dot = (x?: Float32Array, y?: Float32Array) =>
      Array.from(x ?? []).reduce((sum, v, i) => sum + v * (y?.[i] ?? 0), 0);
    expect(dot(a, a)).toBeCloseTo(1, 5);
    expect(dot(a, b)).toBeGreaterThan(dot(a, c) + 0.3);
  });
});

describe('local disk vector index', () => {
  it('keeps the newest version of an id, ignores a late older one, and survives a reopen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aios-index-'));
    try {
      const index = openDiskVectorIndex({ dir, dimensions: 2 });
      await index.createVersion('v000001');
      await index.switchAlias('v000001');
      const doc = (version: number, text: string) => ({
        id: 'x',
        version,
        namespace: 'operator',
        kind: 'fact',
        tier: 'long-term' as const,
        text,
        origin: {},
        validFrom: '2026-11-01T00:00:00.000Z',
        vector: [1, 0],
      });
      await index.upsert('v000001', [doc(2, 'new')]);
      await index.upsert('v000001', [doc(1, 'old')]);
      await index.flush();
      const reopened = openDiskVectorIndex({ dir, dimensions: 2 });
      const { version, candidates } = await reopened.search({
        vector: [1, 0],
        candidates: 5,
        filter: { namespaces: ['operator'], validAt: '2026-11-25T00:00:00.000Z' },
      });
      expect(version).toBe('v000001');
      expect(candidates.map((c) => [c.doc.id, c.doc.version, c.doc.text])).toEqual([['x', 2, 'new']]);
      await reopened.remove('v000001', [{ id: 'x', version: 2 }]);
      expect(await reopened.count('v000001')).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
