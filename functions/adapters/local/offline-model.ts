import type { ModelPort, ModelRequest, ModelResponse } from '../../core/ports.ts';
import { renderTemplates } from '../../core/templates.ts';

/**
 * A deterministic model that needs no network: it plans by filling the playbook's fixed steps
 * from the input, and consolidates memory by joining the texts it is given. A goal-only playbook
 * needs a real model, and it says so in its answer (which then fails plan validation with that
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
  const playbook = tagged(prompt, 'playbook') as { steps?: Record<string, unknown>[] } | undefined;
  const input = (tagged(prompt, 'input') ?? {}) as Record<string, unknown>;
  const run = (tagged(prompt, 'run') ?? {}) as Record<string, unknown>;
  if (!playbook?.steps) {
    return 'The offline model can only plan playbooks with fixed steps; configure a real model (AIOS_MODEL_URL) for goal-only playbooks.';
  }
  try {
    const steps = playbook.steps.map((step) => ({
      id: step.id,
      title: step.title,
      action: { type: step.action, params: renderTemplates(step.params ?? {}, { input, run }) },
      ...(step.expect ? { expect: step.expect } : {}),
    }));
    return JSON.stringify({ steps });
  } catch (error) {
    return `Cannot plan: ${(error as Error).message}`;
  }
}
