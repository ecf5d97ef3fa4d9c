import type { Client } from '@opensearch-project/opensearch';
import type { IndexCandidate, IndexedDoc, IndexFilter, VectorIndex } from '../../core/memory/ports.ts';

export interface OpenSearchVectorIndexOptions {
  /** A client built once in the composition root (SigV4-signed on AWS). */
  client: Client;
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

const statusOf = (error: unknown) => (error as { meta?: { statusCode?: number } }).meta?.statusCode;

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

/**
 * The vector index on OpenSearch: one index per version from a template with a cosine HNSW
 * `knn_vector`, an alias switched with one atomic `_aliases` call, bulk writes with external
 * versioning (the item's version), so a late or repeated stream record never overwrites a newer one.
 */
export function createOpenSearchVectorIndex(options: OpenSearchVectorIndexOptions): VectorIndex {
  const settings = {
    dimensions: options.dimensions,
    alias: options.alias ?? 'aios-memory',
    engine: options.engine ?? 'lucene',
    m: options.m ?? 16,
    efConstruction: options.efConstruction ?? 128,
    replicas: options.replicas ?? 0,
  };
  const { client } = options;
  const { alias } = settings;
  const indexOf = (version: string) => `${alias}-${version}`;
  const versionOf = (index: string) => index.slice(alias.length + 1);
  let templateReady: Promise<void> | undefined;

  const ensureTemplate = () => {
    templateReady ??= client.indices
      .putIndexTemplate({ name: alias, body: memoryIndexTemplate(settings) as never })
      .then(() => undefined)
      .catch((error: unknown) => {
        templateReady = undefined;
        throw error;
      });
    return templateReady;
  };

  async function aliasedIndexes(): Promise<string[]> {
    try {
      const response = await client.indices.getAlias({ name: alias });
      return Object.keys(response.body as Body).sort();
    } catch (error) {
      if (statusOf(error) === 404) return [];
      throw error;
    }
  }

  async function bulk(lines: Body[], tolerated: readonly number[]) {
    if (lines.length === 0) return;
    const response = await client.bulk({ body: lines as never });
    const body = response.body as { errors?: boolean; items?: BulkItem[] };
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

  return {
    dimensions: settings.dimensions,

    async currentVersion() {
      const indexes = await aliasedIndexes();
      return indexes[0] ? versionOf(indexes[0]) : undefined;
    },

    async listVersions() {
      const response = await client.cat.indices({
        index: `${alias}-v*`,
        format: 'json',
        h: 'index',
      } as never);
      return ((response.body ?? []) as { index: string }[]).map((row) => versionOf(row.index)).sort();
    },

    async createVersion(version) {
      await ensureTemplate();
      try {
        await client.indices.create({ index: indexOf(version) });
      } catch (error) {
        const type = (error as { meta?: { body?: { error?: { type?: string } } } }).meta?.body?.error?.type;
        if (type !== 'resource_already_exists_exception') throw error;
      }
    },

    async dropVersion(version) {
      const current = await aliasedIndexes();
      if (current.includes(indexOf(version)))
        throw new Error(`index version ${version} is behind the alias; switch first`);
      await client.indices.delete({ index: indexOf(version) });
    },

    async switchAlias(version) {
      const current = await aliasedIndexes();
      // One request, applied atomically: readers see the old index or the new one, never neither.
      await client.indices.updateAliases({
        body: {
          actions: [
            ...current
              .filter((index) => index !== indexOf(version))
              .map((index) => ({ remove: { index, alias } })),
            { add: { index: indexOf(version), alias } },
          ],
        },
      });
    },

    async upsert(version, docs: readonly IndexedDoc[]) {
      const lines: Body[] = [];
      for (const { vector, ...doc } of docs) {
        lines.push(
          {
            index: { _index: indexOf(version), _id: doc.id, version: doc.version, version_type: 'external' },
          },
          { ...doc, vector: Array.from(vector) },
        );
      }
      // 409: the index already holds this version or a newer one.
      await bulk(lines, [409]);
    },

    async remove(version, refs) {
      const lines: Body[] = refs.map(({ id, version: itemVersion }) => ({
        delete: { _index: indexOf(version), _id: id, version: itemVersion, version_type: 'external' },
      }));
      // 404: nothing to delete; 409: a newer version is indexed and stays.
      await bulk(lines, [404, 409]);
    },

    async search({ vector, filter, candidates }) {
      const response = await client.search({
        index: alias,
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
      } as never);
      const hits = ((response.body as { hits?: { hits?: Body[] } }).hits?.hits ?? []) as {
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
      const version = answered ? versionOf(answered) : await this.currentVersion();
      if (!version) throw new Error(`the alias ${alias} points at no index yet`);
      return { version, candidates: found };
    },

    async count(version) {
      const response = await client.count({ index: indexOf(version) });
      return (response.body as { count: number }).count;
    },
  };
}
