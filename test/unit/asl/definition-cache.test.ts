import { describe, expect, it, vi } from 'vitest';

const validations = vi.hoisted(() => ({ count: 0 }));

vi.mock('asl-validator', async (importOriginal) => {
  const original = (await importOriginal<{ default: (...args: unknown[]) => unknown }>()).default;
  return {
    default: (...args: unknown[]) => {
      validations.count++;
      return original(...args);
    },
  };
});

// Unit files share a module cache (isolate: false): another file may have loaded definition.ts with
// the real validator already, so this one asks for a fresh copy that sees the mock.
vi.resetModules();
const { validateDefinition } = await import('../../../lib/local/asl/definition.ts');

describe('definition validation', () => {
  it('runs asl-validator once per definition text, however often it is loaded', () => {
    const text = JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Succeed' } } });
    const before = validations.count;
    for (let i = 0; i < 3; i++) expect(validateDefinition(text)).toEqual([]);
    expect(validations.count - before).toBe(1);
  });

  it('hands out a copy of remembered findings, so a caller cannot change them for the next', () => {
    const text = JSON.stringify({ StartAt: 'Missing', States: { A: { Type: 'Succeed' } } });
    const first = validateDefinition(text);
    expect(first.length).toBeGreaterThan(0);
    first.push('changed by a caller');
    expect(validateDefinition(text)).not.toContain('changed by a caller');
  });
});
