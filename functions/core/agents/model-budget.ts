import { BudgetExceededError } from '../errors.ts';
import type { Clock, ModelPort, ModelTier, StateStore } from '../ports.ts';
import type { Run } from '../schemas.ts';

/** Rough token count: about four characters a token, rounded up, so reservations err high. */
export const estimateTokens = (text: string) => Math.ceil(text.length / 4);

export interface Reservation {
  tier: ModelTier;
  reservedUsd: number;
}

export interface CallShape {
  system: string;
  prompt: string;
  maxTokens: number;
}

/** The worst case of one call on a tier: the whole prompt in, every allowed token out. */
export function worstCaseUsd(model: ModelPort, tier: ModelTier, call: CallShape): number {
  return model.priceUsd(
    model.modelFor(tier),
    estimateTokens(call.system) + estimateTokens(call.prompt),
    call.maxTokens,
  );
}

/**
 * Reserves one call's worst case before it is made, on the tier the workflow chose: the slow tier
 * steps down to the fast one when the budget cannot cover it, and when even the fast tier does not
 * fit the run stops here, before the call. A conditional write, so the reservation is visible at once.
 */
export async function reserveModelCall(
  deps: { store: StateStore; model: ModelPort; clock: Clock },
  runId: string,
  wanted: ModelTier,
  call: CallShape,
): Promise<Reservation> {
  const run = await currentRun(deps.store, runId);
  if (run.modelCalls + 1 > run.budget.maxModelCalls) {
    throw new BudgetExceededError(
      `run ${runId} has used ${run.modelCalls} of its ${run.budget.maxModelCalls} model calls`,
    );
  }
  const remaining = run.budget.maxUsd - run.spentUsd;
  const tiers: ModelTier[] = wanted === 'slow' ? ['slow', 'fast'] : ['fast'];
  for (const tier of tiers) {
    const worst = worstCaseUsd(deps.model, tier, call);
    if (worst <= remaining) {
      await deps.store.updateRun(runId, ['RUNNING'], {
        spentUsd: run.spentUsd + worst,
        modelCalls: run.modelCalls + 1,
        updatedAt: deps.clock.now().toISOString(),
      });
      return { tier, reservedUsd: worst };
    }
  }
  throw new BudgetExceededError(
    `the model step needs up to $${worstCaseUsd(deps.model, 'fast', call).toFixed(4)} even on the fast tier, ` +
      `and run ${runId} has $${remaining.toFixed(4)} of its $${run.budget.maxUsd} left`,
  );
}

/** Replaces a reservation with what the call really cost (nothing, when it failed). */
export async function settleModelCall(
  deps: { store: StateStore; clock: Clock },
  runId: string,
  reservation: Reservation,
  costUsd: number,
): Promise<void> {
  const run = await currentRun(deps.store, runId);
  await deps.store.updateRun(runId, ['RUNNING'], {
    spentUsd: Math.max(0, run.spentUsd - reservation.reservedUsd + costUsd),
    updatedAt: deps.clock.now().toISOString(),
  });
}

async function currentRun(store: StateStore, runId: string): Promise<Run> {
  const run = await store.getRun(runId);
  if (!run) throw new BudgetExceededError(`run ${runId} does not exist, so nothing can be charged to it`);
  return run;
}
