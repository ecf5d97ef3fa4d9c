import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../functions/core/errors.ts';
import { MAX_JSON_DEPTH, parseJsonOrThrow } from '../../../functions/core/validation.ts';

describe('parseJsonOrThrow', () => {
  it('refuses a __proto__ key wherever it is, naming the place, where a schema would drop it silently', () => {
    expect(() => parseJsonOrThrow('{"params":{"a":[{"__proto__":{"x":1}}]}}', 'request body')).toThrow(
      'request body is invalid: params.a.0.__proto__: "__proto__" is not accepted as a key',
    );
    expect(() => parseJsonOrThrow('{"__proto__":1}', 'payload')).toThrow(ValidationError);
  });

  it('takes constructor, toString and prototype as ordinary keys', () => {
    expect(parseJsonOrThrow('{"constructor":1,"toString":"x","prototype":null}', 'body')).toEqual({
      constructor: 1,
      toString: 'x',
      prototype: null,
    });
  });

  it('refuses nesting deeper than the limit, however deep, without exhausting the stack', () => {
    const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
    expect(parseJsonOrThrow(nested(MAX_JSON_DEPTH), 'body')).toBeInstanceOf(Array);
    expect(() => parseJsonOrThrow(nested(MAX_JSON_DEPTH + 1), 'body')).toThrow(/nests deeper than 16 levels/);
    expect(() => parseJsonOrThrow(nested(200_000), 'body')).toThrow(ValidationError);
  });

  it('says when the text is not JSON', () => {
    expect(() => parseJsonOrThrow('{nope', 'request body')).toThrow('request body is not valid JSON');
  });
});
