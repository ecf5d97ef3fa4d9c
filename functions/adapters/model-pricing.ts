/** USD per million tokens (input, output). Unknown models are priced at the most expensive row, so budgets err safe. */
const PRICES: Record<string, [number, number]> = {
  'offline-planner': [0, 0],
  'anthropic.claude-3-5-haiku-20241022-v1:0': [0.8, 4],
  'us.anthropic.claude-3-5-haiku-20241022-v1:0': [0.8, 4],
  'anthropic.claude-3-5-sonnet-20241022-v2:0': [3, 15],
  'us.anthropic.claude-3-5-sonnet-20241022-v2:0': [3, 15],
  'anthropic.claude-haiku-4-5-20251001-v1:0': [1, 5],
  'anthropic.claude-sonnet-4-5-20250929-v1:0': [3, 15],
  'amazon.nova-micro-v1:0': [0.035, 0.14],
  'amazon.nova-lite-v1:0': [0.06, 0.24],
  'amazon.nova-pro-v1:0': [0.8, 3.2],
};
const MOST_EXPENSIVE: [number, number] = [15, 75];

/** An inference profile (`global.`, `us.`, `eu.`, ...) costs what its model costs. */
const PROFILE_PREFIX = /^(global|us-gov|us|eu|apac|jp|au|ca)\./;

export function priceUsd(modelId: string, inputTokens: number, outputTokens: number): number {
  const [input, output] = PRICES[modelId] ?? PRICES[modelId.replace(PROFILE_PREFIX, '')] ?? MOST_EXPENSIVE;
  return (inputTokens * input + outputTokens * output) / 1_000_000;
}

/** Local endpoints (Ollama and the like) cost nothing per token. */
export const freePricing = () => 0;
