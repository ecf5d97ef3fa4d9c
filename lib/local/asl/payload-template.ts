import { StatesRuntimeError } from './errors.ts';
import { evaluatePath } from './json-path.ts';
import type { Json, JsonObject } from './types.ts';

/** The `$$` context object of a state, as far as the definitions read it. */
export interface ContextObject {
  Task?: { Token: string };
  Map?: { Item: { Index: number; Value: Json } };
}

/** The context paths a definition may read; supported-subset.ts refuses any other at load. */
export const CONTEXT_PATHS = ['$$.Task.Token', '$$.Map.Item.Index', '$$.Map.Item.Value'] as const;

/** Resolves `$...` against the input and `$$...` against the context object. */
export function resolvePath(path: string, input: Json, context: ContextObject, field: string): Json {
  if (path.startsWith('$$')) return evaluatePath(path.slice(1), context as unknown as Json, field);
  return evaluatePath(path, input, field);
}

/**
 * Evaluates a payload template (Parameters, ItemSelector, ResultSelector): a key ending in `.$`
 * takes the value of its path, under the key without the suffix.
 */
export function evaluatePayloadTemplate(template: Json, input: Json, context: ContextObject): Json {
  if (Array.isArray(template)) return template.map((item) => evaluatePayloadTemplate(item, input, context));
  if (template === null || typeof template !== 'object') return template;
  const output: JsonObject = {};
  for (const [key, value] of Object.entries(template)) {
    if (!key.endsWith('.$')) {
      output[key] = evaluatePayloadTemplate(value, input, context);
      continue;
    }
    if (typeof value !== 'string' || !value.startsWith('$')) {
      throw new StatesRuntimeError(`The value of field '${key}' must be a JSONPath`);
    }
    output[key.slice(0, -2)] = resolvePath(value, input, context, key);
  }
  return output;
}
