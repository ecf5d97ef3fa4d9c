/**
 * Fills `{{input.a.b}}` placeholders in playbook parameters. A string that is exactly one
 * placeholder takes the value as it is (numbers stay numbers); a placeholder inside a longer
 * string is interpolated. An unknown path is an error naming it, never an empty string.
 */
export function renderTemplates(value: unknown, scope: Record<string, unknown>): unknown {
  if (typeof value === 'string') return renderString(value, scope);
  if (Array.isArray(value)) return value.map((item) => renderTemplates(item, scope));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderTemplates(v, scope)]));
  }
  return value;
}

const WHOLE = /^\{\{\s*([\w.-]+)\s*\}\}$/;
const EMBEDDED = /\{\{\s*([\w.-]+)\s*\}\}/g;

function renderString(text: string, scope: Record<string, unknown>): unknown {
  const whole = WHOLE.exec(text);
  if (whole?.[1]) return lookup(whole[1], scope);
  return text.replace(EMBEDDED, (_match, path: string) => {
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
