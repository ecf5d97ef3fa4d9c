import { fnv1a, stem, words } from '../../core/memory/text.ts';
import type { Embedder } from '../../core/ports/memory.ts';

/**
 * An offline embedder that needs no download: feature hashing of stemmed words, word bigrams and
 * character trigrams into `dimensions` buckets, each with a hashed sign, then L2-normalised.
 * Deterministic across machines and versions of Node. It captures shared words and spelling, not
 * meaning: "invoice" is near "invoices", not near "bill".
 */
export function createHashingEmbedder(options: { dimensions?: number } = {}): Embedder {
  const dimensions = options.dimensions ?? 384;
  const add = (vector: Float32Array, feature: string, weight: number) => {
    const hash = fnv1a(feature);
    const sign = fnv1a(feature, 0x9e3779b9) & 1 ? 1 : -1;
    const bucket = hash % dimensions;
    vector[bucket] = (vector[bucket] as number) + sign * weight;
  };
  const embedOne = (text: string): Float32Array => {
    const vector = new Float32Array(dimensions);
    const tokens = words(text);
    tokens.forEach((word, i) => {
      const stemmed = stem(word);
      add(vector, `w:${stemmed}`, 1);
      const next = tokens[i + 1];
      if (next) add(vector, `b:${stemmed} ${stem(next)}`, 0.5);
      const padded = `<${word}>`;
      const grams = Math.max(1, padded.length - 2);
      for (let j = 0; j + 3 <= padded.length; j += 1) add(vector, `c:${padded.slice(j, j + 3)}`, 1 / grams);
    });
    let norm = 0;
    for (const x of vector) norm += x * x;
    norm = Math.sqrt(norm);
    if (norm > 0) for (let i = 0; i < dimensions; i += 1) vector[i] = (vector[i] as number) / norm;
    return vector;
  };
  return {
    modelId: `aios-hashing-${dimensions}`,
    dimensions,
    async embed(texts) {
      return texts.map(embedOne);
    },
  };
}
