import { StatesError, StatesRuntimeError } from './errors.ts';
import type { Json, JsonObject } from './types.ts';

// A reference path names exactly one node: `$`, then `.field`, `['field']` or `[index]` steps only.
const REFERENCE_STEP = /\.([^.[\]*?@(),:'"\s][^.[\]*?@(),:'"]*)|\['((?:[^'\\]|\\.)*)'\]|\[(\d+)\]/y;

/** Splits a reference path into its steps, or returns undefined when it is not one. */
export function parseReferencePath(path: string): (string | number)[] | undefined {
  if (!path.startsWith('$')) return undefined;
  const steps: (string | number)[] = [];
  REFERENCE_STEP.lastIndex = 1;
  let at = 1;
  while (at < path.length) {
    REFERENCE_STEP.lastIndex = at;
    const match = REFERENCE_STEP.exec(path);
    if (!match) return undefined;
    if (match[1] !== undefined) steps.push(match[1]);
    else if (match[2] !== undefined) steps.push(match[2].replace(/\\(.)/g, '$1'));
    else steps.push(Number(match[3]));
    at = REFERENCE_STEP.lastIndex;
  }
  return steps;
}

export function requireReferencePath(path: string, field: string): (string | number)[] {
  const steps = parseReferencePath(path);
  if (!steps) throw new StatesRuntimeError(`${field} must be a reference path, got '${path}'`);
  return steps;
}

/**
 * The single node a reference path names in `data`. A missing node is a States.Runtime error, as on
 * the real service; any other JSONPath is refused at load (supported-subset.ts).
 */
export function evaluatePath(path: string, data: Json, field = 'Path'): Json {
  const steps = requireReferencePath(path, field);
  const found = lookup(data, steps);
  if (!found.present) {
    throw new StatesRuntimeError(
      `The JSONPath '${path}' specified for the field '${field}' could not be found in the input '${JSON.stringify(data)}'`,
    );
  }
  return found.value;
}

function lookup(data: Json, steps: (string | number)[]): { present: boolean; value: Json } {
  let node: Json = data;
  for (const step of steps) {
    if (typeof step === 'number' && Array.isArray(node) && step < node.length) {
      node = node[step] as Json;
    } else if (
      node !== null &&
      typeof node === 'object' &&
      !Array.isArray(node) &&
      Object.hasOwn(node, String(step))
    ) {
      node = node[String(step)] as Json;
    } else {
      return { present: false, value: null };
    }
  }
  return { present: true, value: node };
}

/** Applies ResultPath: null keeps the input, `$` replaces it, `$.a.b` nests the result in a copy of it. */
export function applyResultPath(input: Json, result: Json, resultPath: string | null | undefined): Json {
  if (resultPath === null) return input;
  const steps = requireReferencePath(resultPath ?? '$', 'ResultPath');
  if (steps.length === 0) return result;
  const output = structuredClone(input);
  if (output === null || typeof output !== 'object' || Array.isArray(output)) {
    throw new StatesError(
      'States.ResultPathMatchFailure',
      `Unable to apply ResultPath '${resultPath}' to input '${JSON.stringify(input)}'`,
    );
  }
  let node: JsonObject = output;
  for (const [i, step] of steps.entries()) {
    const key = String(step);
    if (i === steps.length - 1) {
      node[key] = result;
      break;
    }
    const child = node[key];
    if (child === undefined) {
      const created: JsonObject = {};
      node[key] = created;
      node = created;
    } else if (child !== null && typeof child === 'object' && !Array.isArray(child)) {
      node = child;
    } else {
      throw new StatesError(
        'States.ResultPathMatchFailure',
        `Unable to apply ResultPath '${resultPath}': '${key}' is not an object`,
      );
    }
  }
  return output;
}
