import { StatesRuntimeError } from './errors.ts';
import { evaluatePath } from './json-path.ts';
import type { ChoiceRule, Json } from './types.ts';

type Comparison = (value: Json, operand: Json) => boolean;

// Only the comparisons statemachines/*.asl.json use; supported-subset.ts refuses the others at load.
const COMPARISONS: Record<string, Comparison> = {
  StringEquals: (value, operand) => typeof value === 'string' && value === operand,
  StringMatches: (value, operand) =>
    typeof value === 'string' && typeof operand === 'string' && globMatches(value, operand),
};

/**
 * ASL's StringMatches: `*` matches any run of characters and a backslash makes the next character
 * literal (an escaped star or backslash); nothing else is special.
 */
function globMatches(value: string, pattern: string): boolean {
  let regex = '';
  for (let i = 0; i < pattern.length; i += 1) {
    const char = pattern[i] as string;
    if (char === '\\' && i + 1 < pattern.length) {
      i += 1;
      regex += (pattern[i] as string).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    } else if (char === '*') regex += '.*';
    else regex += char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${regex}$`, 's').test(value);
}

export const SUPPORTED_COMPARISONS: ReadonlySet<string> = new Set(Object.keys(COMPARISONS));

/** The Next of the first matching rule, or undefined when none matches. */
export function chooseNext(rules: readonly ChoiceRule[], input: Json): string | undefined {
  return rules.find((rule) => matches(rule, input))?.Next;
}

export function matches(rule: ChoiceRule, input: Json): boolean {
  const operator = Object.keys(rule).find((key) => key !== 'Variable' && key !== 'Next');
  const compare = operator === undefined ? undefined : COMPARISONS[operator];
  if (!compare) throw new StatesRuntimeError(`Unsupported Choice comparison ${operator ?? '(none)'}`);
  return compare(evaluatePath(rule.Variable, input, 'Variable'), rule[operator as string] as Json);
}
