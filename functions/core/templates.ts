/**
 * Fills `{{input.a.b}}` placeholders in playbook parameters. A string that is exactly one
 * placeholder takes the value as it is (numbers stay numbers); a placeholder inside a longer
 * string is interpolated. An unknown path is an error naming it, never an empty string.
 */
export function renderTemplates(
  value: unknown,
  scope: Record<string, unknown>,
  options: RenderOptions = {},
): unknown {
  if (typeof value === 'string') return renderString(value, scope, options);
  if (Array.isArray(value)) return value.map((item) => renderTemplates(item, scope, options));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderTemplates(v, scope, options)]));
  }
  return value;
}

export interface RenderOptions {
  /** Placeholders under these roots are left as they are, to be filled later (e.g. `steps` at execution time). */
  defer?: readonly string[];
}

const WHOLE = /^\{\{\s*([\w.-]+)\s*\}\}$/;
const EMBEDDED = /\{\{\s*([\w.-]+)\s*\}\}/g;

/** The paths of every placeholder in a value, in order (e.g. `steps.draft.output.text`). */
export function placeholdersIn(value: unknown): string[] {
  if (typeof value === 'string') return [...value.matchAll(EMBEDDED)].map((m) => m[1] as string);
  if (Array.isArray(value)) return value.flatMap(placeholdersIn);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(placeholdersIn);
  return [];
}

function renderString(text: string, scope: Record<string, unknown>, options: RenderOptions): unknown {
  const deferred = (path: string) => options.defer?.includes(path.split('.')[0] ?? '') ?? false;
  const whole = WHOLE.exec(text);
  if (whole?.[1]) return deferred(whole[1]) ? text : lookup(whole[1], scope);
  return text.replace(EMBEDDED, (match, path: string) => {
    if (deferred(path)) return match;
    const found = lookup(path, scope);
    return typeof found === 'string' ? found : JSON.stringify(found);
  });
}

function lookup(path: string, scope: Record<string, unknown>): unknown {
  let current: unknown = scope;
  for (const part of path.split('.')) {
    // Own values only: {{input.constructor}} must not find Object's constructor in an input without one.
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, part)) {
      throw new Error(`template {{${path}}} refers to a value the run was not given`);
    }
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}
