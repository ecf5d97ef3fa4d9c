import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { ExpressionParser } from '../../../lib/local/dynalite-parse-cache.ts';
// Imported for its effect: the embedded store caches dynalite's parses.
import '../../../lib/local/dynalite-engine.ts';

/*
 * The embedded store answers a parse of an expression it has parsed before from a template. What it
 * answers must be what dynalite's parser builds from the new request: the new values, and the same
 * record of which names and values the expression used (dynalite refuses unused ones).
 */

const require = createRequire(import.meta.url);
const parsers = {
  condition: require('dynalite/db/conditionParser') as ExpressionParser,
  update: require('dynalite/db/updateParser') as ExpressionParser,
};

const dynaliteDb = require('dynalite/db') as { compare: unknown };

type Values = Record<string, Record<string, unknown>>;
interface Case {
  parser: keyof typeof parsers;
  expression: string;
  names?: Record<string, string>;
  values: [Values, Values];
  keyCondition?: boolean;
}

const context = (c: Case, values: Values) => ({
  attrNames: c.names,
  attrVals: structuredClone(values),
  unusedAttrNames: Object.fromEntries(Object.keys(c.names ?? {}).map((k) => [k, true])),
  unusedAttrVals: Object.fromEntries(Object.keys(values).map((k) => [k, true])),
  isReserved: () => false,
  compare: dynaliteDb.compare,
  ...(c.keyCondition ? { isKeyCondition: true } : {}),
});

const cases: Case[] = [
  {
    parser: 'condition',
    expression: 'version = :seen AND visibleAt <= :now',
    values: [
      { ':seen': { N: '1' }, ':now': { N: '100' } },
      { ':seen': { N: '7' }, ':now': { N: '900' } },
    ],
  },
  {
    parser: 'update',
    expression:
      'SET version = :next, receiveCount = receiveCount + :one, visibleAt = :until, receiptToken = :token, firstReceiveAt = if_not_exists(firstReceiveAt, :now)',
    values: [
      {
        ':next': { N: '2' },
        ':one': { N: '1' },
        ':until': { N: '5' },
        ':token': { S: 'a' },
        ':now': { N: '3' },
      },
      {
        ':next': { N: '9' },
        ':one': { N: '1' },
        ':until': { N: '8' },
        ':token': { S: 'b' },
        ':now': { N: '4' },
      },
    ],
  },
  {
    parser: 'condition',
    expression:
      'attribute_not_exists(#id) OR #expiry < :now OR (#status = :inprogress AND attribute_exists(#in_progress_expiry) AND #in_progress_expiry < :now_in_millis)',
    names: { '#id': 'id', '#expiry': 'expiration', '#status': 'status', '#in_progress_expiry': 'ipe' },
    values: [
      { ':now': { N: '1' }, ':now_in_millis': { N: '1000' }, ':inprogress': { S: 'INPROGRESS' } },
      { ':now': { N: '2' }, ':now_in_millis': { N: '2000' }, ':inprogress': { S: 'INPROGRESS' } },
    ],
  },
  {
    parser: 'condition',
    keyCondition: true,
    expression: 'pk = :pk AND begins_with(sk, :prefix)',
    values: [
      { ':pk': { S: 'RUN#a' }, ':prefix': { S: 'INTENT#' } },
      { ':pk': { S: 'RUN#b' }, ':prefix': { S: 'JOURNAL#' } },
    ],
  },
  {
    parser: 'update',
    expression: 'SET #l = list_append(#l, :items), #m.#k = :v REMOVE old ADD tally :n, tags :tags',
    names: { '#l': 'log', '#m': 'map', '#k': 'key' },
    values: [
      {
        ':items': { L: [{ S: 'x' }] },
        ':v': { M: { a: { S: '1' } } },
        ':n': { N: '1' },
        ':tags': { SS: ['a'] },
      },
      {
        ':items': { L: [{ N: '2' }] },
        ':v': { M: { b: { N: '2' } } },
        ':n': { N: '5' },
        ':tags': { SS: ['b', 'c'] },
      },
    ],
  },
  {
    parser: 'condition',
    expression: '#s IN (:a, :b) AND NOT contains(tags, :t) AND size(body) < :max',
    names: { '#s': 'status' },
    values: [
      { ':a': { S: 'RECORDED' }, ':b': { S: 'EXECUTING' }, ':t': { S: 'x' }, ':max': { N: '10' } },
      { ':a': { S: 'FAILED' }, ':b': { S: 'SUCCEEDED' }, ':t': { S: 'y' }, ':max': { N: '99' } },
    ],
  },
];

describe("dynalite's expression parses, answered from a template", () => {
  it.each(cases)('$parser $expression: what the parser builds from the new values', (c) => {
    const parser = parsers[c.parser];
    expect(parser.parse.uncached).toBeTypeOf('function');
    const [first, second] = c.values;
    parser.parse(c.expression, { context: context(c, first) });
    const cachedContext = context(c, second);
    const cached = parser.parse(c.expression, { context: cachedContext });
    const freshContext = context(c, second);
    const fresh = parser.parse.uncached?.(c.expression, { context: freshContext });
    expect(typeof fresh).toBe('object');
    expect(cached).toStrictEqual(fresh);
    expect(cachedContext.unusedAttrNames).toEqual(freshContext.unusedAttrNames);
    expect(cachedContext.unusedAttrVals).toEqual(freshContext.unusedAttrVals);
  });

  it('keeps no tree a request could change for the next: each answer is a copy', () => {
    const c = cases[1] as Case;
    const parser = parsers.update;
    const [first, second] = c.values;
    parser.parse(c.expression, { context: context(c, first) });
    const one = parser.parse(c.expression, { context: context(c, second) }) as {
      sections: { val: unknown }[];
    };
    for (const section of one.sections) section.val = 'changed by the action';
    const two = parser.parse(c.expression, { context: context(c, second) });
    expect(two).toStrictEqual(parser.parse.uncached?.(c.expression, { context: context(c, second) }));
  });

  it('parses again an expression whose check reads a value (BETWEEN): a bad range is still refused', () => {
    const c: Case = {
      parser: 'condition',
      expression: 'n BETWEEN :lo AND :hi',
      values: [
        { ':lo': { N: '1' }, ':hi': { N: '2' } },
        { ':lo': { N: '5' }, ':hi': { N: '2' } },
      ],
    };
    const [good, bad] = c.values;
    expect(typeof parsers.condition.parse(c.expression, { context: context(c, good) })).toBe('object');
    expect(parsers.condition.parse(c.expression, { context: context(c, bad) })).toMatch(/BETWEEN/);
  });
});
