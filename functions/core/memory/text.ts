/** Words that carry no meaning for matching; kept short on purpose. */
const STOPWORDS = new Set(
  'a an and are as at be by for from has have in is it its of on or our that the their this to was were will with we you your'.split(
    ' ',
  ),
);

/** Lowercased words of letters and digits, in order. */
export function words(text: string): string[] {
  return (
    text
      .toLowerCase()
      .normalize('NFKC')
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

/** A crude, deterministic suffix stripper: "payment", "pays" and "paying" all become "pay". */
export function stem(word: string): string {
  for (const suffix of ['ments', 'ment', 'ings', 'ing', 'ies', 'ed', 'es', 's']) {
    if (word.length - suffix.length >= 3 && word.endsWith(suffix)) {
      return suffix === 'ies' ? `${word.slice(0, -3)}y` : word.slice(0, -suffix.length);
    }
  }
  return word;
}

/** The distinct stemmed terms of a text, without stopwords. */
export function terms(text: string): Set<string> {
  return new Set(
    words(text)
      .filter((w) => !STOPWORDS.has(w))
      .map(stem),
  );
}

/** Share of the query's terms that the document contains, in [0, 1]. */
export function lexicalScore(queryTerms: ReadonlySet<string>, text: string): number {
  if (queryTerms.size === 0) return 0;
  const docTerms = terms(text);
  let matched = 0;
  for (const term of queryTerms) if (docTerms.has(term)) matched += 1;
  return matched / queryTerms.size;
}

/** Cosine of two vectors; 0 when either is all zeros. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i += 1) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** FNV-1a, 32 bits: a stable hash with no dependency, the same on every machine. */
export function fnv1a(text: string, seed = 0x811c9dc5): number {
  let hash = seed >>> 0;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}
