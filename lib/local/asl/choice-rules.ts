import { StatesRuntimeError } from './errors.ts';
import { evaluatePath, isPathPresent } from './json-path.ts';
import type { ChoiceRule, Json } from './types.ts';

/** The Next of the first matching rule, or undefined when none matches. */
export function chooseNext(rules: readonly ChoiceRule[], input: Json): string | undefined {
  return rules.find((rule) => matches(rule, input))?.Next;
}

export function matches(rule: ChoiceRule, input: Json): boolean {
  if (rule.And) return rule.And.every((inner) => matches(inner, input));
  if (rule.Or) return rule.Or.some((inner) => matches(inner, input));
  if (rule.Not) return !matches(rule.Not, input);
  if (rule.Variable === undefined) throw new StatesRuntimeError('A Choice rule has no Variable');
  const operator = Object.keys(rule).find((key) => key !== 'Variable' && key !== 'Next');
  if (!operator) throw new StatesRuntimeError(`The Choice rule on ${rule.Variable} has no comparison`);
  if (operator === 'IsPresent') return isPathPresent(rule.Variable, input) === rule.IsPresent;
  const value = evaluatePath(rule.Variable, input, 'Variable');
  const baseOperator = operator.endsWith('Path') ? operator.slice(0, -4) : operator;
  const operand = operator.endsWith('Path')
    ? evaluatePath(rule[operator] as string, input, operator)
    : (rule[operator] as Json);
  const compare = COMPARISONS[baseOperator];
  if (!compare) throw new StatesRuntimeError(`Unsupported Choice comparison ${operator}`);
  return compare(value, operand);
}

type Comparison = (value: Json, operand: Json) => boolean;

const isTimestamp = (value: Json): value is string =>
  typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value);

function typed<T extends Json>(
  guard: (value: Json) => value is T,
  test: (a: T, b: T) => boolean,
): Comparison {
  return (value, operand) => guard(value) && guard(operand) && test(value, operand);
}

const isString = (value: Json): value is string => typeof value === 'string';
const isNumber = (value: Json): value is number => typeof value === 'number';
const isBoolean = (value: Json): value is boolean => typeof value === 'boolean';
const time = (value: string): number => Date.parse(value);

// StringMatches: `*` is a wildcard, `\*` and `\\` are literal.
function wildcardMatch(value: Json, pattern: Json): boolean {
  if (typeof value !== 'string' || typeof pattern !== 'string') return false;
  const source = pattern
    .split(/(\\\\|\\\*|\*)/)
    .map((part) => {
      if (part === '*') return '.*';
      if (part === '\\*') return '\\*';
      if (part === '\\\\') return '\\\\';
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${source}$`, 's').test(value);
}

const COMPARISONS: Record<string, Comparison> = {
  StringEquals: typed(isString, (a, b) => a === b),
  StringLessThan: typed(isString, (a, b) => a < b),
  StringGreaterThan: typed(isString, (a, b) => a > b),
  StringLessThanEquals: typed(isString, (a, b) => a <= b),
  StringGreaterThanEquals: typed(isString, (a, b) => a >= b),
  StringMatches: wildcardMatch,
  NumericEquals: typed(isNumber, (a, b) => a === b),
  NumericLessThan: typed(isNumber, (a, b) => a < b),
  NumericGreaterThan: typed(isNumber, (a, b) => a > b),
  NumericLessThanEquals: typed(isNumber, (a, b) => a <= b),
  NumericGreaterThanEquals: typed(isNumber, (a, b) => a >= b),
  BooleanEquals: typed(isBoolean, (a, b) => a === b),
  TimestampEquals: typed(isTimestamp, (a, b) => time(a) === time(b)),
  TimestampLessThan: typed(isTimestamp, (a, b) => time(a) < time(b)),
  TimestampGreaterThan: typed(isTimestamp, (a, b) => time(a) > time(b)),
  TimestampLessThanEquals: typed(isTimestamp, (a, b) => time(a) <= time(b)),
  TimestampGreaterThanEquals: typed(isTimestamp, (a, b) => time(a) >= time(b)),
  IsNull: (value, operand) => (value === null) === operand,
  IsString: (value, operand) => isString(value) === operand,
  IsNumeric: (value, operand) => isNumber(value) === operand,
  IsBoolean: (value, operand) => isBoolean(value) === operand,
  IsTimestamp: (value, operand) => isTimestamp(value) === operand,
};
