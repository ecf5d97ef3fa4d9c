import type { IndexCandidate, IndexedDoc, IndexFilter, VectorIndex } from '../../core/ports/memory.ts';
import { type OpenSearchHttp, OpenSearchResponseError } from './opensearch-http.ts';

export interface OpenSearchVectorIndexOptions {
  /** A SigV4-signed client built once in the composition root. */
  client: OpenSearchHttp;
  dimensions: number;
  /** The alias searches go through; each version is the index `<alias>-<version>`. */
  alias?: string;
  /** lucene filters during the HNSW search (exact k under a filter); faiss scales further. */
  engine?: 'lucene' | 'faiss';
  /** HNSW graph parameters: edges per node and the candidate list while building. */
  m?: number;
  efConstruction?: number;
  /** One node by default (the affordable domain): no replicas to place. */
  replicas?: number;
}

type Body = Record<string, unknown>;
interface BulkItem {
  [op: string]: { status: number; error?: { type?: string; reason?: string } };
}

const statusOf = (error: unknown) =>
  error instanceof OpenSearchResponseError ? error.statusCode : undefined;
const at = (index: string) => `/${encodeURIComponent(index)}`;

/** The index template and mapping every version gets: a cosine HNSW `knn_vector` plus the filter fields. */
export function memoryIndexTemplate(
  options: Required<
    Pick<
      OpenSearchVectorIndexOptions,
      'dimensions' | 'alias' | 'engine' | 'm' | 'efConstruction' | 'replicas'
    >
  >,
) {
  return {
    index_patterns: [`${options.alias}-v*`],
    template: {
      settings: { 'index.knn': true, number_of_shards: 1, number_of_replicas: options.replicas },
      mappings: {
        dynamic: 'strict',
        properties: {
          vector: {
            type: 'knn_vector',
            dimension: options.dimensions,
            method: {
              name: 'hnsw',
              space_type: 'cosinesimil',
              engine: options.engine,
              parameters: { m: options.m, ef_construction: options.efConstruction },
            },
          },
          id: { type: 'keyword' },
          version: { type: 'integer' },
          namespace: { type: 'keyword' },
          kind: { type: 'keyword' },
          tier: { type: 'keyword' },
          subject: { type: 'keyword' },
          text: { type: 'text' },
          origin: {
            properties: {
              runId: { type: 'keyword' },
              stepIndex: { type: 'integer' },
              document: { type: 'keyword' },
            },
          },
          validFrom: { type: 'date' },
          validUntil: { type: 'date' },
        },
      },
    },
  };
}

/** The filter of a k-NN query: namespace, kind, tier, subject and time, as OpenSearch bool clauses. */
export function filterClauses(filter: IndexFilter): Body[] {
  const clauses: Body[] = [{ terms: { namespace: [...filter.namespaces] } }];
  if (filter.kinds) clauses.push({ terms: { kind: [...filter.kinds] } });
  if (filter.tiers) clauses.push({ terms: { tier: [...filter.tiers] } });
  if (filter.subjects) clauses.push({ terms: { subject: [...filter.subjects] } });
  clauses.push({
    range: {
      validFrom: {
        lte: filter.validAt,
        ...(filter.since ? { gte: filter.since } : {}),
        ...(filter.before ? { lt: filter.before } : {}),
      },
    },
  });
  clauses.push({
    bool: {
      should: [
        { bool: { must_not: { exists: { field: 'validUntil' } } } },
        { range: { validUntil: { gt: filter.validAt } } },
      ],
      minimum_should_match: 1,
    },
  });
  return clauses;
}

type IndexSettings = Parameters<typeof memoryIndexTemplate>[0];

/** What every operation works on: the client, the settings, and the template once it is put. */
interface MemoryIndexes {
  client: OpenSearchHttp;
  settings: IndexSettings;
  templateReady?: Promise<void> | undefined;
}

/**
 * The vector index on OpenSearch: one index per version from a template with a cosine HNSW
 * `knn_vector`, an alias switched with one atomic `_aliases` call, bulk writes with external
 * versioning (the item's version), so a late or repeated stream record never overwrites a newer one.
 */
export function createOpenSearchVectorIndex(options: OpenSearchVectorIndexOptions): VectorIndex {
  const indexes: MemoryIndexes = {
    client: options.client,
    settings: {
      dimensions: options.dimensions,
      alias: options.alias ?? 'aios-memory',
      engine: options.engine ?? 'lucene',
      m: options.m ?? 16,
      efConstruction: options.efConstruction ?? 128,
      replicas: options.replicas ?? 0,
    },
  };
  return {
    dimensions: indexes.settings.dimensions,
    currentVersion: () => currentVersion(indexes),
    listVersions: () => listVersions(indexes),
    createVersion: (version) => createVersion(indexes, version),
    dropVersion: (version) => dropVersion(indexes, version),
    switchAlias: (version) => switchAlias(indexes, version),
    upsert: (version, docs) => upsert(indexes, version, docs),
    remove: (version, refs) => remove(indexes, version, refs),
    search: (query) => search(indexes, query),
    count: async (version) => {
      const body = await indexes.client.request<{ count: number }>(
        'GET',
        `${at(indexOf(indexes, version))}/_count`,
      );
      return body.count;
    },
  };
}

const indexOf = (indexes: MemoryIndexes, version: string) => `${indexes.settings.alias}-${version}`;
const versionOf = (indexes: MemoryIndexes, index: string) => index.slice(indexes.settings.alias.length + 1);

async function currentVersion(indexes: MemoryIndexes): Promise<string | undefined> {
  const [index] = await aliasedIndexes(indexes);
  return index ? versionOf(indexes, index) : undefined;
}

async function listVersions(indexes: MemoryIndexes): Promise<string[]> {
  const rows = await indexes.client.request<{ index: string }[] | undefined>(
    'GET',
    `/_cat/indices${at(`${indexes.settings.alias}-v*`)}`,
    { query: { format: 'json', h: 'index' } },
  );
  return (rows ?? []).map((row) => versionOf(indexes, row.index)).sort();
}

async function createVersion(indexes: MemoryIndexes, version: string): Promise<void> {
  await ensureTemplate(indexes);
  try {
    await indexes.client.request('PUT', at(indexOf(indexes, version)));
  } catch (error) {
    const type = (error as { body?: { error?: { type?: string } } }).body?.error?.type;
    if (type !== 'resource_already_exists_exception') throw error;
  }
}

async function dropVersion(indexes: MemoryIndexes, version: string): Promise<void> {
  const current = await aliasedIndexes(indexes);
  if (current.includes(indexOf(indexes, version)))
    throw new Error(`index version ${version} is behind the alias; switch first`);
  await indexes.client.request('DELETE', at(indexOf(indexes, version)));
}

async function switchAlias(indexes: MemoryIndexes, version: string): Promise<void> {
  const { alias } = indexes.settings;
  const target = indexOf(indexes, version);
  const current = await aliasedIndexes(indexes);
  // One request, applied atomically: readers see the old index or the new one, never neither.
  await indexes.client.request('POST', '/_aliases', {
    body: {
      actions: [
        ...current.filter((index) => index !== target).map((index) => ({ remove: { index, alias } })),
        { add: { index: target, alias } },
      ],
    },
  });
}

async function upsert(indexes: MemoryIndexes, version: string, docs: readonly IndexedDoc[]): Promise<void> {
  const lines: Body[] = [];
  for (const { vector, ...doc } of docs) {
    lines.push(
      {
        index: {
          _index: indexOf(indexes, version),
          _id: doc.id,
          version: doc.version,
          version_type: 'external',
        },
      },
      { ...doc, vector: Array.from(vector) },
    );
  }
  // 409: the index already holds this version or a newer one.
  await bulk(indexes, lines, [409]);
}

async function remove(
  indexes: MemoryIndexes,
  version: string,
  refs: Parameters<VectorIndex['remove']>[1],
): Promise<void> {
  const lines: Body[] = refs.map(({ id, version: itemVersion }) => ({
    delete: { _index: indexOf(indexes, version), _id: id, version: itemVersion, version_type: 'external' },
  }));
  // 404: nothing to delete; 409: a newer version is indexed and stays.
  await bulk(indexes, lines, [404, 409]);
}

async function search(
  indexes: MemoryIndexes,
  { vector, filter, candidates }: Parameters<VectorIndex['search']>[0],
): ReturnType<VectorIndex['search']> {
  const { alias } = indexes.settings;
  const response = await indexes.client.request<{ hits?: { hits?: Body[] } }>(
    'POST',
    `${at(alias)}/_search`,
    {
      body: {
        size: candidates,
        _source: { excludes: ['vector'] },
        query: {
          knn: {
            vector: {
              vector: Array.from(vector),
              k: candidates,
              filter: { bool: { filter: filterClauses(filter) } },
            },
          },
        },
      },
    },
  );
  const hits = (response.hits?.hits ?? []) as {
    _index: string;
    _score: number;
    _source: Omit<IndexedDoc, 'vector'>;
  }[];
  const found: IndexCandidate[] = hits.map((hit) => ({
    doc: hit._source,
    // cosinesimil scores are (1 + cosine) / 2.
    cosine: 2 * hit._score - 1,
  }));
  const answered = hits[0]?._index;
  const version = answered ? versionOf(indexes, answered) : await currentVersion(indexes);
  if (!version) throw new Error(`the alias ${alias} points at no index yet`);
  return { version, candidates: found };
}

function ensureTemplate(indexes: MemoryIndexes): Promise<void> {
  const { alias } = indexes.settings;
  indexes.templateReady ??= indexes.client
    .request('PUT', `/_index_template/${encodeURIComponent(alias)}`, {
      body: memoryIndexTemplate(indexes.settings),
    })
    .then(() => undefined)
    .catch((error: unknown) => {
      indexes.templateReady = undefined;
      throw error;
    });
  return indexes.templateReady;
}

async function aliasedIndexes(indexes: MemoryIndexes): Promise<string[]> {
  try {
    const body = await indexes.client.request<Body>('GET', `/_alias${at(indexes.settings.alias)}`);
    return Object.keys(body).sort();
  } catch (error) {
    if (statusOf(error) === 404) return [];
    throw error;
  }
}

async function bulk(indexes: MemoryIndexes, lines: Body[], tolerated: readonly number[]): Promise<void> {
  if (lines.length === 0) return;
  const body = await indexes.client.request<{ errors?: boolean; items?: BulkItem[] }>('POST', '/_bulk', {
    ndjson: lines,
  });
  if (!body.errors) return;
  const failures = (body.items ?? [])
    .map((item) => Object.values(item)[0])
    .filter((result) => result && result.status >= 300 && !tolerated.includes(result.status));
  if (failures.length > 0) {
    const first = failures[0]?.error;
    throw new Error(
      `OpenSearch bulk write failed for ${failures.length} document(s): ${first?.type}: ${first?.reason}`,
    );
  }
}
