import { describe, expect, it } from 'vitest';
import { renderTemplates } from '../../../functions/core/templates.ts';

describe('renderTemplates', () => {
  const scope = { input: { id: 'acme', fee: 1500, nested: { email: 'a@b.example' } }, run: { id: 'r1' } };

  it('keeps the type of a value that fills a whole string', () => {
    expect(renderTemplates({ amount: '{{input.fee}}' }, scope)).toEqual({ amount: 1500 });
  });

  it('interpolates placeholders inside longer strings, in arrays and nested objects', () => {
    expect(
      renderTemplates(
        { list: ['Hi {{input.id}}', { to: '{{input.nested.email}}' }], r: 'run {{ run.id }}' },
        scope,
      ),
    ).toEqual({
      list: ['Hi acme', { to: 'a@b.example' }],
      r: 'run r1',
    });
  });

  it('names a path the run was not given instead of rendering an empty string', () => {
    expect(() => renderTemplates('{{input.missing}}', scope)).toThrow(/input\.missing/);
  });

  it('finds only values the run was given, never one inherited from Object', () => {
    expect(() => renderTemplates('{{input.constructor}}', scope)).toThrow(/input\.constructor/);
    expect(() => renderTemplates('{{input.id.length}}', scope)).toThrow(/input\.id\.length/);
    expect(renderTemplates('{{input.list.1}}', { input: { list: ['a', 'b'] } })).toBe('b');
  });
});
