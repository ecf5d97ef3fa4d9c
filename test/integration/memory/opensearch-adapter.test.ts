import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDynamoDBMemoryLog } from '../../../functions/adapters/aws/dynamodb-memory-log.ts';
import { createOpenSearchHttp } from '../../../functions/adapters/aws/opensearch-http.ts';
import { createOpenSearchVectorIndex } from '../../../functions/adapters/aws/opensearch-vector-index.ts';
import { createHashingEmbedder } from '../../../functions/adapters/local/hashing-embedder.ts';
import { createMemoryIndexer } from '../../../functions/core/memory/indexer.ts';
import { createMemoryService } from '../../../functions/core/memory/memory-service.ts';
import type { IndexedDoc } from '../../../functions/core/ports/memory.ts';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../../lib/local/embedded-dynamodb.ts';
import { TABLE_NAMES } from '../../../lib/local/table-definitions.ts';
import { type FakeOpenSearch, startFakeOpenSearch } from '../../support/fake-opensearch.ts';

const DIMS = 8;
let fake: FakeOpenSearch;

beforeEach(async () => {
  fake = await startFakeOpenSearch();
});
afterEach(async () => {
  await fake.close();
});

const signedClient = () =>
  createOpenSearchHttp({
    node: fake.url,
    region: 'eu-west-1',
    service: 'es',
    credentials: async () => ({ accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' }),
  });

const doc = (id: string, version: number, overrides: Partial<IndexedDoc> = {}): IndexedDoc => ({
  id,
  version,
  namespace: 'customer:acme',
  kind: 'fact',
  tier: 'long-term',
  text: `text of ${id}`,
  origin: {},
  validFrom: '2026-11-01T00:00:00.000Z',
  vector: Array.from({ length: DIMS }, (_, i) => (i === version % DIMS ? 1 : 0.1)),
  ...overrides,
});

const requestsTo = (method: string, path: string | RegExp) =>
  fake.requests.filter(
    (r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path)),
  );

describe('OpenSearch vector index against a fake domain on loopback', () => {
  it('creates each version from an index template with a cosine HNSW knn_vector mapping, SigV4-signed', async () => {
    const index = createOpenSearchVectorIndex({ client: signedClient(), dimensions: DIMS });
    await index.createVersion('v000001');

    const [template] = fake.requests.filter((r) => r.path === '/_index_template/aios-memory');
    expect(template?.body).toMatchObject({
      index_patterns: ['aios-memory-v*'],
      template: {
        settings: { 'index.knn': true },
        mappings: {
          properties: {
            vector: {
              type: 'knn_vector',
              dimension: DIMS,
              method: { name: 'hnsw', space_type: 'cosinesimil', engine: 'lucene' },
            },
            namespace: { type: 'keyword' },
            kind: { type: 'keyword' },
            validFrom: { type: 'date' },
            validUntil: { type: 'date' },
          },
        },
      },
    });
    expect(requestsTo('PUT', '/aios-memory-v000001')).toHaveLength(1);
    for (const request of fake.requests) {
      expect(request.headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/eu-west-1\/es\/aws4_request/,
      );
    }
  });

  it("writes in bulk with the item's version as the external version; a late older version changes nothing", async () => {
    const index = createOpenSearchVectorIndex({ client: signedClient(), dimensions: DIMS });
    await index.createVersion('v000001');
    await index.upsert('v000001', [doc('a', 2), doc('b', 1)]);
    await index.upsert('v000001', [doc('a', 1, { text: 'stale' })]);
    await index.remove('v000001', [
      { id: 'b', version: 2 },
      { id: 'never-indexed', version: 1 },
    ]);

    const [first] = requestsTo('POST', '/_bulk');
    const lines = first?.body as Record<string, unknown>[];
    expect(lines[0]).toEqual({
      index: { _index: 'aios-memory-v000001', _id: 'a', version: 2, version_type: 'external' },
    });
    expect(lines[1]).toMatchObject({ id: 'a', namespace: 'customer:acme', vector: expect.any(Array) });
    expect((lines[1] as { vector: number[] }).vector).toHaveLength(DIMS);
    expect(lines).toHaveLength(4);
    const removal = requestsTo('POST', '/_bulk')[2]?.body as Record<string, unknown>[];
    expect(removal[0]).toEqual({
      delete: { _index: 'aios-memory-v000001', _id: 'b', version: 2, version_type: 'external' },
    });
    expect(fake.indices.get('aios-memory-v000001')?.get('a')?.source.text).toBe('text of a');
    expect(fake.indices.get('aios-memory-v000001')?.has('b')).toBe(false);
  });

  it('queries k-NN through the alias with namespace, kind, subject and time filters, and says which version answered', async () => {
    const index = createOpenSearchVectorIndex({ client: signedClient(), dimensions: DIMS });
    await index.createVersion('v000001');
    await index.switchAlias('v000001');
    await index.upsert('v000001', [doc('a', 1), doc('other', 1, { namespace: 'customer:globex' })]);

    const result = await index.search({
      vector: doc('a', 1).vector,
      candidates: 50,
      filter: {
        namespaces: ['customer:acme'],
        kinds: ['fact', 'decision'],
        subjects: ['workflow:onboarding'],
        since: '2026-01-01T00:00:00.000Z',
        validAt: '2026-11-25T10:00:00.000Z',
      },
    });

    const [search] = requestsTo('POST', '/aios-memory/_search');
    expect(search?.body).toMatchObject({
      size: 50,
      _source: { excludes: ['vector'] },
      query: {
        knn: {
          vector: {
            k: 50,
            filter: {
              bool: {
                filter: [
                  { terms: { namespace: ['customer:acme'] } },
                  { terms: { kind: ['fact', 'decision'] } },
                  { terms: { subject: ['workflow:onboarding'] } },
                  {
                    range: {
                      validFrom: { lte: '2026-11-25T10:00:00.000Z', gte: '2026-01-01T00:00:00.000Z' },
                    },
                  },
                  {
                    bool: {
                      should: [
                        { bool: { must_not: { exists: { field: 'validUntil' } } } },
                        { range: { validUntil: { gt: '2026-11-25T10:00:00.000Z' } } },
                      ],
                      minimum_should_match: 1,
                    },
                  },
                ],
              },
            },
          },
        },
      },
    });
    const knn = (search?.body as { query: { knn: { vector: { vector: number[] } } } } | undefined)?.query.knn;
    expect(knn?.vector.vector).toHaveLength(DIMS);
    expect(result.version).toBe('v000001');
    expect(result.candidates.map((c) => c.doc.id)).toEqual(['a']);
    expect(result.candidates[0]?.cosine).toBeCloseTo(1, 5);
  });

  it('reindex builds a new version from the log and flips the alias with one atomic remove + add', async () => {
    const db: EmbeddedDynamoDB = await startEmbeddedDynamoDB({ tables: [TABLE_NAMES.memory] });
    try {
      const log = createDynamoDBMemoryLog({ client: db.client, tableName: TABLE_NAMES.memory });
      const index = createOpenSearchVectorIndex({ client: signedClient(), dimensions: 384 });
      const embedder = createHashingEmbedder({ dimensions: 384 });
      const indexer = createMemoryIndexer({ log, index, embedder });
      const memory = createMemoryService({ log, index, embedder, clock: { now: () => new Date() } });
      const a = await memory.write({ namespace: 'customer:acme', kind: 'fact', text: 'Acme pays net 30' });
      const b = await memory.write({ namespace: 'customer:acme', kind: 'fact', text: 'Acme prefers email' });
      await indexer.apply([a, b]);
      const before = await memory.search({ q: 'how does Acme pay', namespace: 'customer:acme' });

      const report = await indexer.reindex();

      expect(report).toMatchObject({ from: 'v000001', to: 'v000002', items: 2, indexed: 2 });
      const flips = requestsTo('POST', '/_aliases');
      expect(flips.at(-1)?.body).toEqual({
        actions: [
          { remove: { index: 'aios-memory-v000001', alias: 'aios-memory' } },
          { add: { index: 'aios-memory-v000002', alias: 'aios-memory' } },
        ],
      });
      const after = await memory.search({ q: 'how does Acme pay', namespace: 'customer:acme' });
      expect(before.indexVersion).toBe('v000001');
      expect(after.indexVersion).toBe('v000002');
      expect(after.hits).toEqual(before.hits);
      expect(after.hits[0]?.id).toBe(a.id);
    } finally {
      await db.close();
    }
  });
});
