import { createHash, randomInt, randomUUID } from 'node:crypto';
import { StatesError, StatesRuntimeError } from './errors.ts';
import type { Json } from './types.ts';

/** A parsed intrinsic function call, e.g. States.Format('{}', $.x). */
export type IntrinsicExpression =
  | { kind: 'call'; name: string; args: IntrinsicExpression[] }
  | { kind: 'literal'; value: Json }
  | { kind: 'path'; path: string };

/** Resolves a JSONPath argument (`$...` against the input, `$$...` against the context object). */
export type PathResolver = (path: string) => Json;

export function isIntrinsic(expression: string): boolean {
  return /^States\.[A-Za-z0-9]+\s*\(/.test(expression.trim());
}

export function parseIntrinsic(text: string): IntrinsicExpression {
  const parser = new Parser(text);
  const expression = parser.expression();
  parser.skipSpace();
  if (!parser.done()) parser.fail('unexpected trailing text');
  if (expression.kind !== 'call') parser.fail('expected an intrinsic function call');
  return expression;
}

class Parser {
  private at = 0;
  constructor(private readonly text: string) {}

  done(): boolean {
    return this.at >= this.text.length;
  }

  fail(message: string): never {
    throw new StatesRuntimeError(`Invalid intrinsic function '${this.text}' at ${this.at}: ${message}`);
  }

  skipSpace(): void {
    while (/\s/.test(this.text[this.at] ?? '')) this.at++;
  }

  expression(): IntrinsicExpression {
    this.skipSpace();
    const rest = this.text.slice(this.at);
    if (rest.startsWith("'")) return { kind: 'literal', value: this.string() };
    if (rest.startsWith('$')) return { kind: 'path', path: this.path() };
    const number = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(rest);
    if (number) {
      this.at += number[0].length;
      return { kind: 'literal', value: Number(number[0]) };
    }
    const keyword = /^(true|false|null)\b/.exec(rest);
    if (keyword) {
      this.at += keyword[0].length;
      return { kind: 'literal', value: JSON.parse(keyword[0]) as Json };
    }
    const name = /^States\.[A-Za-z0-9]+/.exec(rest);
    if (!name) this.fail('expected a string, number, JSONPath or States.* call');
    this.at += name[0].length;
    this.skipSpace();
    if (this.text[this.at] !== '(') this.fail(`expected '(' after ${name[0]}`);
    this.at++;
    const args: IntrinsicExpression[] = [];
    this.skipSpace();
    if (this.text[this.at] === ')') {
      this.at++;
      return { kind: 'call', name: name[0], args };
    }
    for (;;) {
      args.push(this.expression());
      this.skipSpace();
      const separator = this.text[this.at++];
      if (separator === ')') return { kind: 'call', name: name[0], args };
      if (separator !== ',') this.fail("expected ',' or ')'");
    }
  }

  // Escapes keep the backslash for \{ and \} so States.Format can tell literal braces from placeholders.
  private string(): string {
    this.at++;
    let value = '';
    while (!this.done()) {
      const char = this.text[this.at++] as string;
      if (char === "'") return value;
      if (char === '\\') {
        const escaped = this.text[this.at++];
        if (escaped === undefined) break;
        value += escaped === '{' || escaped === '}' ? `\\${escaped}` : escaped;
      } else {
        value += char;
      }
    }
    return this.fail('unterminated string');
  }

  // A JSONPath argument runs to the next ',' or ')' outside brackets, parentheses and quotes.
  private path(): string {
    const start = this.at;
    let depth = 0;
    let quote: string | undefined;
    while (!this.done()) {
      const char = this.text[this.at] as string;
      if (quote) {
        if (char === '\\') this.at++;
        else if (char === quote) quote = undefined;
      } else if (char === "'" || char === '"') quote = char;
      else if (char === '[' || char === '(') depth++;
      else if (char === ']' || char === ')') {
        if (depth === 0) break;
        depth--;
      } else if (char === ',' && depth === 0) break;
      this.at++;
    }
    return this.text.slice(start, this.at).trim();
  }
}

export function evaluateIntrinsic(text: string, resolve: PathResolver): Json {
  return evaluate(parseIntrinsic(text), resolve);
}

function evaluate(expression: IntrinsicExpression, resolve: PathResolver): Json {
  if (expression.kind === 'literal') return expression.value;
  if (expression.kind === 'path') return resolve(expression.path);
  const fn = FUNCTIONS[expression.name];
  if (!fn) throw new StatesRuntimeError(`Unsupported intrinsic function ${expression.name}`);
  const args = expression.args.map((arg) =>
    arg.kind === 'literal' && typeof arg.value === 'string'
      ? unescapeBraces(arg.value)
      : evaluate(arg, resolve),
  );
  // States.Format needs its template with brace escapes intact.
  if (expression.name === 'States.Format' && expression.args[0]?.kind === 'literal') {
    args[0] = expression.args[0].value;
  }
  return fn(args, expression.name);
}

const unescapeBraces = (value: string): string => value.replace(/\\([{}])/g, '$1');

type IntrinsicFunction = (args: Json[], name: string) => Json;

function fail(name: string, message: string): never {
  throw new StatesError('States.IntrinsicFailure', `${name}: ${message}`);
}

function arity(args: Json[], name: string, count: number): void {
  if (args.length !== count) fail(name, `expects ${count} argument(s), got ${args.length}`);
}

function asString(value: Json | undefined, name: string): string {
  if (typeof value !== 'string') fail(name, `expects a string, got ${JSON.stringify(value)}`);
  return value;
}

function asArray(value: Json | undefined, name: string): Json[] {
  if (!Array.isArray(value)) fail(name, `expects an array, got ${JSON.stringify(value)}`);
  return value;
}

function asInteger(value: Json | undefined, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value))
    fail(name, `expects an integer, got ${JSON.stringify(value)}`);
  return value;
}

const HASH_ALGORITHMS: Record<string, string> = {
  MD5: 'md5',
  'SHA-1': 'sha1',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

const FUNCTIONS: Record<string, IntrinsicFunction> = {
  'States.Format': (args, name) => {
    const [template, ...values] = args;
    let next = 0;
    return asString(template, name).replace(/\\([{}])|\{\}/g, (_match, escaped: string | undefined) => {
      if (escaped) return escaped;
      if (next >= values.length) fail(name, 'more placeholders than arguments');
      const value = values[next++] as Json;
      return typeof value === 'string' ? value : JSON.stringify(value);
    });
  },
  'States.StringToJson': (args, name) => {
    arity(args, name, 1);
    try {
      return JSON.parse(asString(args[0], name)) as Json;
    } catch {
      return fail(name, 'the argument is not valid JSON');
    }
  },
  'States.JsonToString': (args, name) => {
    arity(args, name, 1);
    return JSON.stringify(args[0]);
  },
  'States.Array': (args) => args,
  'States.ArrayLength': (args, name) => {
    arity(args, name, 1);
    return asArray(args[0], name).length;
  },
  'States.ArrayGetItem': (args, name) => {
    arity(args, name, 2);
    const array = asArray(args[0], name);
    const index = asInteger(args[1], name);
    if (index < 0 || index >= array.length) fail(name, `index ${index} is out of bounds`);
    return array[index] as Json;
  },
  'States.ArrayContains': (args, name) => {
    arity(args, name, 2);
    const wanted = JSON.stringify(args[1]);
    return asArray(args[0], name).some((item) => JSON.stringify(item) === wanted);
  },
  'States.ArrayUnique': (args, name) => {
    arity(args, name, 1);
    const seen = new Set<string>();
    return asArray(args[0], name).filter((item) => {
      const key = JSON.stringify(item);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  },
  'States.ArrayRange': (args, name) => {
    arity(args, name, 3);
    const [start, end, step] = args.map((arg) => asInteger(arg, name)) as [number, number, number];
    if (step === 0) fail(name, 'step must not be 0');
    const range: number[] = [];
    for (let i = start; step > 0 ? i <= end : i >= end; i += step) range.push(i);
    return range;
  },
  'States.MathAdd': (args, name) => {
    arity(args, name, 2);
    return asInteger(args[0], name) + asInteger(args[1], name);
  },
  'States.MathRandom': (args, name) => {
    if (args.length < 2 || args.length > 3) fail(name, 'expects 2 or 3 arguments');
    return randomInt(asInteger(args[0], name), asInteger(args[1], name));
  },
  'States.UUID': (args, name) => {
    arity(args, name, 0);
    return randomUUID();
  },
  'States.Hash': (args, name) => {
    arity(args, name, 2);
    const algorithm = HASH_ALGORITHMS[asString(args[1], name)];
    if (!algorithm) fail(name, `unsupported algorithm ${JSON.stringify(args[1])}`);
    const data = typeof args[0] === 'string' ? args[0] : JSON.stringify(args[0]);
    return createHash(algorithm).update(data).digest('hex');
  },
  'States.Base64Encode': (args, name) => {
    arity(args, name, 1);
    return Buffer.from(asString(args[0], name)).toString('base64');
  },
  'States.Base64Decode': (args, name) => {
    arity(args, name, 1);
    return Buffer.from(asString(args[0], name), 'base64').toString('utf8');
  },
  'States.StringSplit': (args, name) => {
    arity(args, name, 2);
    const separators = [...asString(args[1], name)];
    const text = asString(args[0], name);
    if (separators.length === 0) return [text];
    const pattern = new RegExp(`[${separators.map((c) => c.replace(/[\]\\^-]/g, '\\$&')).join('')}]`);
    return text.split(pattern).filter((part) => part !== '');
  },
};
