import type { RunStartClaim, RunStartClaims } from '../../functions/core/run-start-claims.ts';

/** In-memory claims for unit tests, with the DynamoDB adapter's contract: first live claim wins. */
export function createMemoryRunStartClaims(): RunStartClaims & { readonly held: Map<string, RunStartClaim> } {
  const held = new Map<string, RunStartClaim>();
  const live = (key: string, now: Date) => {
    const claim = held.get(key);
    return claim && new Date(claim.expiresAt) > now ? structuredClone(claim) : undefined;
  };
  return {
    held,
    async get(key, now) {
      return live(key, now);
    },
    async claim(claim, now) {
      const existing = live(claim.key, now);
      if (existing) return existing;
      held.set(claim.key, structuredClone(claim));
      return structuredClone(claim);
    },
  };
}
