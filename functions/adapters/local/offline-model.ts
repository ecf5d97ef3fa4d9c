import type { ModelPort, ModelRequest, ModelResponse } from '../../core/ports.ts';

/**
 * A deterministic model that needs no network, so tests can assert on what it writes.
 * - consolidation: joins the texts it is given;
 * - draft: the top retrieved earlier draft or edit (the operator's own wording, so the next draft
 *   starts from it), else the step's instructions as filled from the run's inputs, followed by
 *   the other retrieved memories (the week's decisions, notes) one per line;
 * - extract: `field: value` lines of the source, for the fields the schema declares;
 * - check: fails a rule `must mention "X"` the draft does not mention, passes otherwise.
 * It cannot plan: a playbook with fixed steps never asks a model, and a goal-only playbook needs a
 * real one, which its answer says (the answer then fails plan validation with that message).
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

/** A section of the prompt: a tag that opens a line (a tag named inside the instructions is not one). */
function raw(prompt: string, tag: string): string | undefined {
  return new RegExp(`^<${tag}>([\\s\\S]*?)</${tag}>$`, 'm').exec(prompt)?.[1];
}

function tagged(prompt: string, tag: string): unknown {
  const text = raw(prompt, tag);
  return text ? JSON.parse(text) : undefined;
}

/** Consolidation offline: an extractive summary, the memories' texts oldest first, deduplicated. */
function summarise(memories: { text?: unknown }[]): string {
  const texts = [...new Set(memories.map((m) => String(m.text ?? '').trim()).filter(Boolean))];
  const summary = texts.join(' / ');
  return summary.length > 2000 ? `${summary.slice(0, 1997)}...` : summary;
}

function draft(prompt: string): string {
  const memory = (tagged(prompt, 'memory') as { kind?: unknown; text?: unknown }[] | undefined) ?? [];
  const wording = memory.find(
    (m) => (m.kind === 'draft-edit' || m.kind === 'draft') && typeof m.text === 'string',
  );
  if (wording) return String(wording.text).trim();
  const notes = memory.map((m) => `- ${String(m.text ?? '').trim()}`).filter((line) => line.length > 2);
  return [(raw(prompt, 'instructions') ?? '').trim(), ...notes].join('\n');
}

function extract(prompt: string): string {
  const schema = tagged(prompt, 'schema') as { properties?: Record<string, unknown> } | undefined;
  const fields = Object.keys(schema?.properties ?? {});
  const found: Record<string, string> = {};
  for (const line of (raw(prompt, 'source') ?? '').split(/\r?\n/)) {
    const match = /^\s*([\w-]+)\s*:\s*(.+?)\s*$/.exec(line);
    const name = fields.find((f) => f.toLowerCase() === match?.[1]?.toLowerCase());
    if (name && match?.[2]) found[name] = match[2];
  }
  return JSON.stringify(found);
}

function check(prompt: string): string {
  const text = raw(prompt, 'draft') ?? '';
  const rules = (tagged(prompt, 'rules') as string[] | undefined) ?? [];
  for (const rule of rules) {
    const needed = /must mention "([^"]+)"/i.exec(rule)?.[1];
    if (needed && !text.toLowerCase().includes(needed.toLowerCase())) {
      return JSON.stringify({ ok: false, reason: `the draft does not mention "${needed}"` });
    }
  }
  return JSON.stringify({ ok: true, reason: 'the draft holds to every rule' });
}

function answer(prompt: string): string {
  const task = raw(prompt, 'task');
  if (task === 'draft') return draft(prompt);
  if (task === 'extract') return extract(prompt);
  if (task === 'check') return check(prompt);
  const memories = tagged(prompt, 'memories');
  if (Array.isArray(memories)) return summarise(memories);
  return 'The offline model cannot plan towards a goal; configure a real model (AIOS_MODEL_URL) for goal-only playbooks.';
}
