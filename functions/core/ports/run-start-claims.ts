import type { RunStartClaim } from '../run-start-claims.ts';

/** The store of claims, a port: DynamoDB on AWS and locally, a map in unit tests. */
export interface RunStartClaims {
  /** The live claim of a key; an expired one counts as none. */
  get(key: string, now: Date): Promise<RunStartClaim | undefined>;
  /** A conditional write: the first live claim of a key wins, and every caller gets the winner back. */
  claim(claim: RunStartClaim, now: Date): Promise<RunStartClaim>;
}
