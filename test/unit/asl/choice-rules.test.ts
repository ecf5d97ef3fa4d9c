import { describe, expect, it } from 'vitest';
import { chooseNext, matches } from '../../../lib/local/asl/choice-rules.ts';
import type { ChoiceRule, Json } from '../../../lib/local/asl/types.ts';

const input: Json = {
  s: 'deny',
  n: 10,
  limit: 5,
  b: true,
  t: '2024-01-02T00:00:00Z',
  nil: null,
  other: 'deny',
};
const check = (rule: ChoiceRule) => matches(rule, input);

describe('Choice rules', () => {
  it.each<[ChoiceRule, boolean]>([
    [{ Variable: '$.s', StringEquals: 'deny' }, true],
    [{ Variable: '$.s', StringEquals: 'allow' }, false],
    [{ Variable: '$.n', StringEquals: '10' }, false],
    [{ Variable: '$.s', StringEqualsPath: '$.other' }, true],
    [{ Variable: '$.s', StringLessThan: 'e' }, true],
    [{ Variable: '$.s', StringMatches: 'd*y' }, true],
    [{ Variable: '$.s', StringMatches: 'd\\*y' }, false],
    [{ Variable: '$.n', NumericGreaterThan: 5 }, true],
    [{ Variable: '$.n', NumericGreaterThanPath: '$.limit' }, true],
    [{ Variable: '$.n', NumericLessThanEquals: 9 }, false],
    [{ Variable: '$.s', NumericGreaterThan: 1 }, false],
    [{ Variable: '$.b', BooleanEquals: true }, true],
    [{ Variable: '$.b', BooleanEqualsPath: '$.b' }, true],
    [{ Variable: '$.t', TimestampGreaterThan: '2024-01-01T00:00:00Z' }, true],
    [{ Variable: '$.nil', IsNull: true }, true],
    [{ Variable: '$.n', IsNumeric: true }, true],
    [{ Variable: '$.t', IsTimestamp: true }, true],
    [{ Variable: '$.missing', IsPresent: false }, true],
    [{ Variable: '$.s', IsPresent: true }, true],
  ])('%j is %s', (rule, expected) => {
    expect(check(rule)).toBe(expected);
  });

  it('combines rules with And, Or and Not', () => {
    expect(
      check({
        And: [
          { Variable: '$.n', NumericGreaterThan: 5 },
          {
            Or: [{ Variable: '$.s', StringEquals: 'x' }, { Not: { Variable: '$.b', BooleanEquals: false } }],
          },
        ],
      }),
    ).toBe(true);
    expect(check({ Not: { Variable: '$.n', NumericEquals: 10 } })).toBe(false);
  });

  it('picks the first matching rule', () => {
    const rules: ChoiceRule[] = [
      { Variable: '$.n', NumericLessThan: 0, Next: 'Negative' },
      { Variable: '$.n', NumericGreaterThan: 1, Next: 'Big' },
      { Variable: '$.n', NumericGreaterThan: 0, Next: 'Positive' },
    ];
    expect(chooseNext(rules, input)).toBe('Big');
    expect(chooseNext(rules.slice(0, 1), input)).toBeUndefined();
  });

  it('treats a missing Variable as a runtime error', () => {
    expect(() => check({ Variable: '$.missing', StringEquals: 'x' })).toThrow(/could not be found/);
  });
});
