import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { lazySchema } from '../../../functions/core/lazy-schema.ts';

describe('lazySchema', () => {
  it('builds nothing until the schema is first used, then builds it once', () => {
    let builds = 0;
    const Person = lazySchema(() => {
      builds += 1;
      return z.object({ name: z.string().min(1), age: z.number().int().optional() });
    });
    expect(builds).toBe(0);
    expect(Person.parse({ name: 'Ada', age: 36 })).toEqual({ name: 'Ada', age: 36 });
    expect(Person.safeParse({ name: '' }).success).toBe(false);
    expect(builds).toBe(1);
  });

  it('behaves as the schema it builds: errors, extend, shape, nesting, instanceof, JSON schema', () => {
    const eager = z.object({ type: z.string().regex(/^[a-z]+$/), n: z.number().default(1) });
    const lazy = lazySchema(() => z.object({ type: z.string().regex(/^[a-z]+$/), n: z.number().default(1) }));
    const bad = { type: 'A1' };
    expect(lazy.safeParse(bad).error?.issues).toEqual(eager.safeParse(bad).error?.issues);
    expect(lazy.parse({ type: 'a' })).toEqual({ type: 'a', n: 1 });
    expect(lazy instanceof z.ZodObject).toBe(true);
    expect(Object.keys(lazy.shape)).toEqual(['type', 'n']);
    expect(lazy.extend({ extra: z.boolean() }).parse({ type: 'a', extra: true })).toEqual({
      type: 'a',
      n: 1,
      extra: true,
    });
    const outer = z.object({ inner: lazy.optional(), list: z.array(lazy) });
    expect(outer.safeParse({ list: [{ type: 'B' }] }).error?.issues[0]?.path).toEqual(['list', 0, 'type']);
    expect(z.toJSONSchema(lazy)).toEqual(z.toJSONSchema(eager));
  });

  it('can be nested before it is built, and is built when the outer schema first parses', () => {
    let builds = 0;
    const Inner = lazySchema(() => {
      builds += 1;
      return z.object({ ok: z.boolean() });
    });
    const Outer = lazySchema(() => z.object({ inner: Inner }));
    expect(builds).toBe(0);
    expect(Outer.parse({ inner: { ok: true } })).toEqual({ inner: { ok: true } });
    expect(builds).toBe(1);
  });
});
