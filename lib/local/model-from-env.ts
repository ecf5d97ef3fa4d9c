import { createOfflineModel } from '../../functions/adapters/local/offline-model.ts';
import { createOpenAICompatibleModel } from '../../functions/adapters/local/openai-compatible-model.ts';
import type { ModelPort } from '../../functions/core/ports.ts';

/** The offline model (fixed-step playbooks need no model) unless AIOS_MODEL_URL names an OpenAI-compatible endpoint (e.g. Ollama). */
export function modelFromEnv(env: NodeJS.ProcessEnv = process.env): {
  model: ModelPort;
  description: string;
} {
  const baseUrl = env.AIOS_MODEL_URL;
  if (!baseUrl) return { model: createOfflineModel(), description: 'no model (fixed-step playbooks only)' };
  if (!env.AIOS_MODEL_NAME)
    throw new Error('AIOS_MODEL_URL is set, so AIOS_MODEL_NAME must name the model (e.g. llama3.1)');
  return {
    model: createOpenAICompatibleModel({
      baseUrl,
      model: env.AIOS_MODEL_NAME,
      // The slow tier's larger model; the same model on both tiers when unset.
      slowModel: env.AIOS_MODEL_SLOW_NAME || undefined,
      apiKey: env.AIOS_MODEL_API_KEY,
    }),
    description: `${env.AIOS_MODEL_NAME}${env.AIOS_MODEL_SLOW_NAME ? ` (slow tier: ${env.AIOS_MODEL_SLOW_NAME})` : ''} at ${baseUrl}`,
  };
}
