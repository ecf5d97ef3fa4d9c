import type { ModelPort, ModelRequest, ModelResponse } from '../../core/ports.ts';

/**
 * A deterministic model that needs no network. It consolidates memory by joining the texts it is
 * given. It cannot plan: a playbook with fixed steps never asks a model, and a goal-only playbook
 * needs a real one, which its answer says (the answer then fails plan validation with that
 * message, as a bad model answer would).
 */
export function createOfflineModel(): ModelPort {
  return {
    async converse(request: ModelRequest): Promise<ModelResponse> {
      const text = answer(request.prompt);
      return {
        text,
        modelId: 'offline-planner',
        inputTokens: Math.ceil((request.system.length + request.prompt.length) / 4),
        outputTokens: Math.ceil(text.length / 4),
      };
    },
    priceUsd: () => 0,
    modelFor: () => 'offline-planner',
  };
}

function tagged(prompt: string, tag: string): unknown {
  const match = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(prompt);
  return match?.[1] ? JSON.parse(match[1]) : undefined;
}

/** Consolidation offline: an extractive summary, the memories' texts oldest first, deduplicated. */
function summarise(memories: { text?: unknown }[]): string {
  const texts = [...new Set(memories.map((m) => String(m.text ?? '').trim()).filter(Boolean))];
  const summary = texts.join(' / ');
  return summary.length > 2000 ? `${summary.slice(0, 1997)}...` : summary;
}

function answer(prompt: string): string {
  const memories = tagged(prompt, 'memories');
  if (Array.isArray(memories)) return summarise(memories);
  return 'The offline model cannot plan towards a goal; configure a real model (AIOS_MODEL_URL) for goal-only playbooks.';
}
