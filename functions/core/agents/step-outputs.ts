import { StepOutputError } from '../errors.ts';
import type { Intent } from '../schemas.ts';
import { isModelStep } from '../schemas.ts';
import { placeholdersIn, renderTemplates } from '../templates.ts';

/** What `{{steps.<id>.output.<field>}}` reads: every earlier step's recorded output, by step id. */
export function stepOutputsBefore(intents: readonly Intent[], stepIndex: number): Record<string, unknown> {
  return Object.fromEntries(
    intents
      .filter((i) => i.stepIndex < stepIndex && i.status === 'SUCCEEDED' && i.result)
      .map((i) => [i.stepId, { output: i.result?.output ?? {} }]),
  );
}

export interface ResolvedParams {
  params: Record<string, unknown>;
  /** Top-level parameters that came, whole, from a model step's text output: what the operator may edit and memory learns from. */
  drafted: { param: string; stepId: string; text: string }[];
}

/**
 * Fills a step's `{{steps.*}}` placeholders from what earlier steps recorded, at execution time.
 * A placeholder naming a step that has not succeeded, or a field its output lacks, is an error
 * naming it; the caller validates the result against the connector before any effect.
 */
export function resolveStepParams(
  params: Record<string, unknown>,
  intents: readonly Intent[],
  stepIndex: number,
): ResolvedParams {
  const steps = stepOutputsBefore(intents, stepIndex);
  let resolved: Record<string, unknown>;
  try {
    resolved = renderTemplates(params, { steps }) as Record<string, unknown>;
  } catch (error) {
    throw new StepOutputError(
      `step ${stepIndex + 1} reads an output that was not recorded: ${(error as Error).message}`,
    );
  }
  const modelSteps = new Set(intents.filter((i) => isModelStep(i.action.type)).map((i) => i.stepId));
  const drafted: ResolvedParams['drafted'] = [];
  for (const { param, value } of leaves(params)) {
    // Only a value that is the output as a whole: "Re: {{...}}" is the playbook's wording around a draft.
    const paths = WHOLE_OUTPUT.test(value) ? placeholdersIn(value) : [];
    const stepId = paths[0]?.split('.')[1];
    const text = valueAt(resolved, param);
    if (stepId && modelSteps.has(stepId) && typeof text === 'string') drafted.push({ param, stepId, text });
  }
  return { params: resolved, drafted };
}

const WHOLE_OUTPUT = /^\{\{\s*steps\.[\w-]+\.output\.[\w.-]+\s*\}\}$/;

/** The value at a dotted path (`body.text`), or undefined. */
export function valueAt(value: unknown, path: string): unknown {
  let current = value;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function leaves(value: unknown, prefix = ''): { param: string; value: string }[] {
  if (typeof value === 'string') return prefix ? [{ param: prefix, value }] : [];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  return Object.entries(value).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
}
