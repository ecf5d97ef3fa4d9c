import type { ModelPort } from '../../functions/core/ports.ts';
import type { Run } from '../../functions/core/schemas.ts';

export const fixedClock = (iso = '2026-11-25T10:00:00.000Z') => ({ now: () => new Date(iso) });

export function runFixture(overrides: Partial<Run> = {}): Run {
  return {
    runId: 'onboarding-20261125-100000-abcd1234',
    workflow: 'onboarding',
    workflowVersion: 1,
    mode: 'live',
    status: 'RUNNING',
    input: {
      customerId: 'acme',
      name: 'Acme Studio',
      email: 'billing@acme.example',
      setupFee: 1500,
      crmWebhookUrl: 'http://127.0.0.1:9/crm',
    },
    budget: { maxUsd: 0.5, maxModelCalls: 5 },
    spentUsd: 0,
    modelCalls: 0,
    createdAt: '2026-11-25T10:00:00.000Z',
    updatedAt: '2026-11-25T10:00:00.000Z',
    ...overrides,
  };
}

/** A model that answers with the given text, priced per token so budgets can be exercised. */
export function scriptedModel(
  text: string,
  prices: { slow: number; fast: number } = { slow: 0, fast: 0 },
): ModelPort & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async converse(request) {
      calls.push(request.tier);
      return { text, modelId: `model-${request.tier}`, inputTokens: 100, outputTokens: 50 };
    },
    priceUsd: (modelId, input, output) =>
      ((modelId === 'model-slow' ? prices.slow : prices.fast) * (input + output)) / 1000,
    modelFor: (tier) => `model-${tier}`,
  };
}
