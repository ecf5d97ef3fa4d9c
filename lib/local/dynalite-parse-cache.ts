/*
 * dynalite parses every condition and update expression of every request with its PEG parsers,
 * which is about a fifth of the CPU an action of the gateway costs; aios sends the same few
 * expressions with new values each time. This keeps each parse as a template with the request's
 * values taken out, and answers a later parse of the same expression, names, value keys and value
 * types with a fresh copy holding the new values: what the parser would have built from them.
 *
 * Kept only where that is sure: a successful parse whose tree holds the request's values by
 * reference and nothing else derived from them (checked on each tree kept), of an expression
 * without BETWEEN or attribute_type, the two checks that read a value rather than its type.
 */

type AttributeValue = Record<string, unknown>;

interface ParseContext {
  attrNames?: Record<string, string>;
  attrVals?: Record<string, AttributeValue>;
  unusedAttrNames?: Record<string, boolean>;
  unusedAttrVals?: Record<string, boolean>;
  isKeyCondition?: boolean;
}

type Parse = (expression: string, options: { context: ParseContext }) => unknown;

export interface ExpressionParser {
  parse: Parse & { uncached?: Parse };
}

interface Template {
  tree: unknown;
  /** The names and values the expression uses: dynalite checks that none goes unused. */
  namesUsed: string[];
  valuesUsed: string[];
}

const VALUE_TYPES = ['S', 'N', 'B', 'SS', 'NS', 'BS', 'M', 'L', 'NULL', 'BOOL'];
const VALUE_DEPENDENT = /between|attribute_type/i;
const MAX_TEMPLATES = 1_000;

class Placeholder {
  constructor(readonly key: string) {}
}

const typeOf = (value: AttributeValue) => VALUE_TYPES.find((type) => value[type] != null) ?? '?';
// dynalite's trees use Object.create(null) maps too; a copy keeps the prototype it had.
const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
};
const emptyLike = (value: object): Record<string, unknown> =>
  Object.getPrototypeOf(value) === null ? Object.create(null) : {};
const looksLikeValue = (value: Record<string, unknown>) => {
  const keys = Object.keys(value);
  return keys.length === 1 && VALUE_TYPES.includes(keys[0] as string);
};

/** The tree with each of `values` swapped for a placeholder; undefined if it holds a value of its own making. */
function toTemplate(tree: unknown, keyOf: Map<unknown, string>): unknown {
  let sound = true;
  const walk = (node: unknown): unknown => {
    const key = keyOf.get(node);
    if (key !== undefined) return new Placeholder(key);
    if (Array.isArray(node)) return node.map(walk);
    if (isPlainObject(node)) {
      if (looksLikeValue(node)) sound = false;
      const copy = emptyLike(node);
      for (const [name, child] of Object.entries(node)) copy[name] = walk(child);
      return copy;
    }
    if (typeof node === 'object' && node !== null) sound = false;
    return node;
  };
  const template = walk(tree);
  return sound ? template : undefined;
}

function fromTemplate(node: unknown, values: Record<string, AttributeValue>): unknown {
  if (node instanceof Placeholder) return values[node.key];
  if (Array.isArray(node)) return node.map((child) => fromTemplate(child, values));
  if (isPlainObject(node)) {
    const copy = emptyLike(node);
    for (const [name, child] of Object.entries(node)) copy[name] = fromTemplate(child, values);
    return copy;
  }
  return node;
}

function cacheKey(expression: string, context: ParseContext): string {
  const values = context.attrVals ?? {};
  const shape = Object.keys(values)
    .sort()
    .map((key) => `${key}:${typeOf(values[key] as AttributeValue)}`);
  return JSON.stringify([expression, context.isKeyCondition === true, context.attrNames ?? null, shape]);
}

/** Wraps `parser.parse` in place (dynalite's validations call it through the module object). */
export function cacheParses(parser: ExpressionParser): void {
  if (parser.parse.uncached) return;
  const parse = parser.parse.bind(parser);
  const templates = new Map<string, Template>();
  const cached: ExpressionParser['parse'] = (expression, options) => {
    const context = options.context;
    if (VALUE_DEPENDENT.test(expression)) return parse(expression, options);
    const key = cacheKey(expression, context);
    const kept = templates.get(key);
    if (kept) {
      for (const name of kept.namesUsed) delete context.unusedAttrNames?.[name];
      for (const value of kept.valuesUsed) delete context.unusedAttrVals?.[value];
      return fromTemplate(kept.tree, context.attrVals ?? {});
    }
    const namesBefore = Object.keys(context.unusedAttrNames ?? {});
    const valuesBefore = Object.keys(context.unusedAttrVals ?? {});
    const tree = parse(expression, options);
    // A string is dynalite's way of saying the expression is invalid: not kept, parsed each time.
    if (typeof tree !== 'object' || tree === null) return tree;
    const keyOf = new Map<unknown, string>(
      Object.entries(context.attrVals ?? {}).map(([name, value]) => [value, name]),
    );
    const template = toTemplate(tree, keyOf);
    if (template !== undefined && templates.size < MAX_TEMPLATES) {
      templates.set(key, {
        tree: template,
        namesUsed: namesBefore.filter((name) => !context.unusedAttrNames?.[name]),
        valuesUsed: valuesBefore.filter((value) => !context.unusedAttrVals?.[value]),
      });
    }
    return tree;
  };
  cached.uncached = parse;
  parser.parse = cached;
}
