import type { IndexCandidate } from '../ports/memory.ts';
import type { MemoryHit } from './schemas.ts';
import { lexicalScore, terms } from './text.ts';

/** Weights of the hybrid score; they sum to 1, so a score stays in [0, 1]. */
export const SCORE_WEIGHTS = { vector: 0.75, lexical: 0.25 } as const;

/** Scores are rounded before they are compared, so float noise between backends cannot reorder ties. */
const round = (value: number) => Math.round(value * 1e6) / 1e6;

/**
 * Hybrid re-ranking of the index's candidates:
 *   score = 0.75 · max(0, cosine) + 0.25 · (share of the query's terms found in the text)
 * rounded to 6 decimals; ties go to the item valid from later, then to the smaller id. The same
 * candidates always give the same ranking.
 */
export function rankCandidates(query: string, candidates: readonly IndexCandidate[], k: number): MemoryHit[] {
  const queryTerms = terms(query);
  return candidates
    .map(({ doc, cosine }) => {
      const vector = round(Math.max(0, cosine));
      const lexical = round(lexicalScore(queryTerms, doc.text));
      const score = round(SCORE_WEIGHTS.vector * vector + SCORE_WEIGHTS.lexical * lexical);
      return { doc, vector, lexical, score };
    })
    .sort(
      (a, b) =>
        b.score - a.score ||
        (a.doc.validFrom < b.doc.validFrom ? 1 : a.doc.validFrom > b.doc.validFrom ? -1 : 0) ||
        (a.doc.id < b.doc.id ? -1 : a.doc.id > b.doc.id ? 1 : 0),
    )
    .slice(0, k)
    .map(({ doc, vector, lexical, score }, index) => ({
      rank: index + 1,
      id: doc.id,
      version: doc.version,
      namespace: doc.namespace,
      kind: doc.kind,
      tier: doc.tier,
      ...(doc.subject ? { subject: doc.subject } : {}),
      text: doc.text,
      origin: doc.origin,
      validFrom: doc.validFrom,
      ...(doc.validUntil ? { validUntil: doc.validUntil } : {}),
      score,
      scores: { vector, lexical },
    }));
}

/** How many candidates to ask the index for, so lexical re-ranking has room to move items up. */
export const candidatePool = (k: number) => Math.min(200, Math.max(50, 5 * k));
