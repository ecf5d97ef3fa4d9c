import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FuzzEnvironment, startFuzzEnvironment } from '../../support/fuzz-runtime.ts';
import {
  describeRequest,
  type FuzzRequest,
  requestArbitrary,
  send,
  snapshotState,
} from '../../support/route-fuzz.ts';

// Bounded: a fixed number of requests (AIOS_FUZZ_RUNS for a longer hunt); the seed is printed on
// failure and AIOS_FUZZ_SEED replays it.
const NUM_RUNS = Number(process.env.AIOS_FUZZ_RUNS ?? 200);
const SEED = Number(process.env.AIOS_FUZZ_SEED ?? Date.now() % 2 ** 31);

/** The lines one snapshot has and the other has not, cut short. */
function stateDiff(before: string, after: string): string {
  const was = new Set(before.split('\n'));
  const is = new Set(after.split('\n'));
  const gone = [...was].filter((line) => !is.has(line)).map((line) => `- ${line.slice(0, 300)}`);
  const added = [...is].filter((line) => !was.has(line)).map((line) => `+ ${line.slice(0, 300)}`);
  return [...gone, ...added].slice(0, 6).join(' | ');
}

let env: FuzzEnvironment;
beforeAll(async () => {
  env = await startFuzzEnvironment();
});
afterAll(async () => {
  await env?.close();
});

describe('every route of the local server, fuzzed', () => {
  it('never answers 5xx, and a rejected or read-only request changes nothing in the store or the outbox', async () => {
    let state = await env.settled();
    const statuses = new Map<number, number>();
    const property = fc.asyncProperty(requestArbitrary(env), async (request: FuzzRequest) => {
      const response = await send(env.runtime.url, request);
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      if (response.status >= 500) {
        throw new Error(`answered ${response.status} ${response.body.slice(0, 300)}`);
      }
      if (response.status >= 400 || ['GET', 'HEAD'].includes(request.method)) {
        // A refused request, or one that only reads, leaves everything as it was.
        const after = await snapshotState(env.runtime, env.outboxDir);
        if (after !== state) {
          throw new Error(`a ${response.status} changed the store or the outbox: ${stateDiff(state, after)}`);
        }
      } else {
        // An accepted request may start work (a run, an index rebuild): compare against where it settles.
        state = await env.settled();
      }
    });
    // No shrinking: the server's state moves on, so the first failing request is the one to read.
    const result = await fc.check(property, { numRuns: NUM_RUNS, seed: SEED, endOnFailure: true });
    if (result.failed) {
      const [request] = result.counterexample ?? [];
      expect.fail(
        `request ${result.numRuns} of the fuzz with seed ${SEED} (AIOS_FUZZ_SEED=${SEED} replays it), ` +
          `${request ? describeRequest(request) : ''}: ${(result.errorInstance as Error | undefined)?.message}`,
      );
    }
    // The fuzzer reached past the edge: some requests were accepted, and others refused.
    const count = (from: number, to: number) =>
      [...statuses].filter(([status]) => status >= from && status < to).reduce((n, [, c]) => n + c, 0);
    expect(count(200, 300)).toBeGreaterThan(0);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(0);
    expect(statuses.get(401) ?? 0).toBeGreaterThan(0);
  }, 120_000);
});
