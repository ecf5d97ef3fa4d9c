import { StatesRuntimeError } from './errors.ts';
import { evaluateIntrinsic, isIntrinsic } from './intrinsics.ts';
import { evaluatePath } from './json-path.ts';
import type { Json, JsonObject } from './types.ts';

/** The `$$` context object of a state, as far as the interpreter fills it in. */
export interface ContextObject {
  Execution: { Id: string; Name: string; Input: Json; StartTime: string; RoleArn: string };
  StateMachine: { Id: string; Name: string };
  State: { Name: string; EnteredTime: string; RetryCount: number };
  Task?: { Token: string };
  Map?: { Item: { Index: number; Value: Json } };
}

/** Resolves `$...` against the input and `$$...` against the context object. */
export function resolvePath(
  path: string,
  input: Json,
  context: ContextObject | undefined,
  field: string,
): Json {
  if (path.startsWith('$$')) {
    if (!context) throw new StatesRuntimeError(`${field}: the context object is not available here`);
    return evaluatePath(path.slice(1), context as unknown as Json, field);
  }
  return evaluatePath(path, input, field);
}

/**
 * Evaluates a payload template (Parameters, ItemSelector, ResultSelector): a key ending in `.$`
 * takes the value of its path or intrinsic function, under the key without the suffix.
 */
export function evaluatePayloadTemplate(
  template: Json,
  input: Json,
  context: ContextObject | undefined,
): Json {
  if (Array.isArray(template)) return template.map((item) => evaluatePayloadTemplate(item, input, context));
  if (template === null || typeof template !== 'object') return template;
  const output: JsonObject = {};
  for (const [key, value] of Object.entries(template)) {
    if (!key.endsWith('.$')) {
      output[key] = evaluatePayloadTemplate(value, input, context);
      continue;
    }
    const field = key.slice(0, -2);
    if (typeof value !== 'string') {
      throw new StatesRuntimeError(`The value of field '${key}' must be a JSONPath or an intrinsic function`);
    }
    output[field] = evaluateDynamicValue(value, input, context, key);
  }
  return output;
}

function evaluateDynamicValue(
  expression: string,
  input: Json,
  context: ContextObject | undefined,
  key: string,
): Json {
  if (isIntrinsic(expression)) {
    return evaluateIntrinsic(expression, (path) => resolvePath(path, input, context, key));
  }
  if (expression.startsWith('$')) return resolvePath(expression, input, context, key);
  throw new StatesRuntimeError(
    `The value of field '${key}' is neither a JSONPath nor an intrinsic function: '${expression}'`,
  );
}
