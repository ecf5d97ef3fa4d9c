import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { evaluateIntrinsic, parseIntrinsic } from '../../../lib/local/asl/intrinsics.ts';
import { evaluatePath } from '../../../lib/local/asl/json-path.ts';
import type { Json } from '../../../lib/local/asl/types.ts';

const input: Json = { name: 'Ada', n: 3, list: [1, 2, 2], obj: { a: 1 }, text: '{"k":[1]}', 'odd,key': 'x' };
const run = (expression: string) => evaluateIntrinsic(expression, (path) => evaluatePath(path, input));

describe('intrinsic functions', () => {
  it('parses quoted strings with escapes, numbers, paths and nested calls', () => {
    expect(parseIntrinsic("States.Format('it\\'s {}', $.list[0], States.Array(1, -2.5, 'a,b'))")).toEqual({
      kind: 'call',
      name: 'States.Format',
      args: [
        { kind: 'literal', value: "it's {}" },
        { kind: 'path', path: '$.list[0]' },
        {
          kind: 'call',
          name: 'States.Array',
          args: [
            { kind: 'literal', value: 1 },
            { kind: 'literal', value: -2.5 },
            { kind: 'literal', value: 'a,b' },
          ],
        },
      ],
    });
  });

  it('keeps a comma inside a bracketed path as part of the path', () => {
    expect(run("States.Array($['odd,key'], $.n)")).toEqual(['x', 3]);
  });

  it('States.Format fills placeholders, JSON-encodes non-strings and keeps escaped braces', () => {
    expect(run("States.Format('Hi {}, n={}, o={} \\{literal\\}', $.name, $.n, $.obj)")).toBe(
      'Hi Ada, n=3, o={"a":1} {literal}',
    );
  });

  it('States.Format fails when placeholders outnumber arguments', () => {
    expect(() => run("States.Format('{} {}', $.name)")).toThrow(/more placeholders/);
  });

  it('converts between JSON text and values', () => {
    expect(run('States.StringToJson($.text)')).toEqual({ k: [1] });
    expect(run('States.JsonToString($.obj)')).toBe('{"a":1}');
  });

  it('builds arrays and measures them', () => {
    expect(run("States.Array($.name, States.MathAdd($.n, -1), 'z')")).toEqual(['Ada', 2, 'z']);
    expect(run('States.ArrayLength($.list)')).toBe(3);
    expect(run('States.ArrayUnique($.list)')).toEqual([1, 2]);
    expect(run('States.ArrayGetItem($.list, 1)')).toBe(2);
  });

  it('States.MathAdd rejects non-integers', () => {
    expect(() => run("States.MathAdd($.n, '1')")).toThrow(/integer/);
  });

  it('States.UUID yields a v4 UUID', () => {
    expect(run('States.UUID()')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it('States.Hash hashes with the named algorithm', () => {
    expect(run("States.Hash($.name, 'SHA-256')")).toBe(createHash('sha256').update('Ada').digest('hex'));
    expect(() => run("States.Hash($.name, 'CRC32')")).toThrow(/unsupported algorithm/);
  });

  it('rejects malformed calls with the position', () => {
    expect(() => parseIntrinsic("States.Format('unterminated)")).toThrow(/unterminated string/);
    expect(() => parseIntrinsic('States.Array(1 2)')).toThrow(/expected ',' or '\)'/);
    expect(() => run('States.Nope(1)')).toThrow(/Unsupported intrinsic/);
  });
});
