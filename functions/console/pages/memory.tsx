/** @jsxImportSource hono/jsx */
import type { MemorySearchResult } from '../../core/memory/schemas.ts';
import { href, Layout } from './layout.tsx';

export interface MemoryPageProps {
  csrf: string;
  query: { q?: string; namespace?: string };
  result?: MemorySearchResult;
  error?: string;
}

/** Memory search with the scores and origin of each hit, so the operator sees why the planner was given it. */
export function MemoryPage({ csrf, query, result, error }: MemoryPageProps) {
  return (
    <Layout title="Memory" csrf={csrf}>
      <form method="get" action={href('/memory')} class="filters" aria-label="Search memory">
        <div>
          <label for="m-q">Search for</label>
          <input id="m-q" name="q" value={query.q ?? ''} required />
        </div>
        <div>
          <label for="m-ns">Namespace</label>
          <input id="m-ns" name="namespace" value={query.namespace ?? 'operator'} required />
        </div>
        <button type="submit">Search</button>
      </form>
      {error && (
        <p class="bad" role="alert">
          {error}
        </p>
      )}
      {result && (
        <ol>
          {result.hits.map((hit) => (
            <li>
              <div>{hit.text}</div>
              <div class="muted">
                {`score ${hit.score.toFixed(3)} (vector ${hit.scores.vector.toFixed(3)}, lexical ${hit.scores.lexical.toFixed(3)}) · ${hit.namespace} ${hit.kind} ${hit.tier} · ${hit.id} v${hit.version}`}
                {hit.origin.runId ? ` · from run ${hit.origin.runId}` : ''}
                {hit.origin.document ? ` · from ${hit.origin.document}` : ''}
              </div>
            </li>
          ))}
        </ol>
      )}
      {result && result.hits.length === 0 && <p>{`Nothing matches (index ${result.indexVersion}).`}</p>}
    </Layout>
  );
}
