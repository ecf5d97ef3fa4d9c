import { describe, expect, it } from 'vitest';
import { chooseNext, matches } from '../../../lib/local/asl/choice-rules.ts';
import type { ChoiceRule, Json } from '../../../lib/local/asl/types.ts';

const input: Json = { s: 'deny', n: 10, star: 'a*' };
const check = (rule: ChoiceRule) => matches(rule, input);

describe('Choice rules', () => {
  it.each<[ChoiceRule, boolean]>([
    [{ Variable: '$.s', StringEquals: 'deny' }, true],
    [{ Variable: '$.s', StringEquals: 'allow' }, false],
    [{ Variable: '$.n', StringEquals: '10' }, false],
    [{ Variable: '$.s', StringMatches: 'de*' }, true],
    [{ Variable: '$.s', StringMatches: '*ny' }, true],
    [{ Variable: '$.s', StringMatches: 'd*x' }, false],
    [{ Variable: '$.s', StringMatches: 'de.y' }, false],
    [{ Variable: '$.star', StringMatches: 'a\\*' }, true],
    [{ Variable: '$.s', StringMatches: 'd\\*' }, false],
    [{ Variable: '$.n', StringMatches: '*' }, false],
  ])('%j is %s', (rule, expected) => {
    expect(check(rule)).toBe(expected);
  });

  it('picks the first matching rule', () => {
    const rules: ChoiceRule[] = [
      { Variable: '$.s', StringEquals: 'allow', Next: 'Allowed' },
      { Variable: '$.s', StringEquals: 'deny', Next: 'Denied' },
      { Variable: '$.s', StringEquals: 'deny', Next: 'Later' },
    ];
    expect(chooseNext(rules, input)).toBe('Denied');
    expect(chooseNext(rules.slice(0, 1), input)).toBeUndefined();
  });

  it('treats a missing Variable as a runtime error', () => {
    expect(() => check({ Variable: '$.missing', StringEquals: 'x' })).toThrow(/could not be found/);
  });
});
