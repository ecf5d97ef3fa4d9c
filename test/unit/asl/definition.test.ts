import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  createLocalStepFunctions,
  createMemoryExecutionStore,
  substitutePlaceholders,
  validateDefinition,
} from '../../../lib/local/asl/index.ts';

const statemachines = fileURLToPath(new URL('../../../statemachines/', import.meta.url));
const files = readdirSync(statemachines).filter((file) => file.endsWith('.asl.json'));

describe('state machine definitions', () => {
  it('finds the definitions to check', () => {
    expect(files).toContain('run.asl.json');
  });

  it.each(files)('%s is valid for asl-validator', (file) => {
    expect(validateDefinition(readFileSync(`${statemachines}${file}`, 'utf8'))).toEqual([]);
  });

  it('reports what asl-validator finds wrong', () => {
    const errors = validateDefinition({ StartAt: 'Missing', States: { A: { Type: 'Pass', End: true } } });
    expect(errors.join('\n')).toMatch(/Missing/);
  });

  it('reports text that is not JSON', () => {
    expect(validateDefinition('{nope')[0]).toMatch(/not valid JSON/);
  });
});

describe('registration', () => {
  const register = (definition: string, substitutions: Record<string, string> = {}) =>
    createLocalStepFunctions({
      definitions: { machine: definition },
      substitutions,
      resources: {},
      store: createMemoryExecutionStore(),
    });

  it('names an unresolved substitution', () => {
    const text = readFileSync(`${statemachines}run.asl.json`, 'utf8');
    expect(() => register(text, { RunRecorderFunctionArn: 'recorder' })).toThrow(/\$\{PlannerFunctionArn\}/);
  });

  it('escapes substituted values as JSON string content', () => {
    const text = JSON.stringify({ a: '$' + '{X}' });
    expect(substitutePlaceholders('m', text, { X: 'say "hi"' })).toBe('{"a":"say \\"hi\\""}');
  });

  it('rejects a definition asl-validator rejects', () => {
    expect(() => register('{"StartAt":"A","States":{"A":{"Type":"Pass"}}}')).toThrow(
      /InvalidDefinition|invalid/,
    );
  });

  it('rejects states the interpreter does not support', () => {
    const parallel = {
      StartAt: 'P',
      States: {
        P: {
          Type: 'Parallel',
          Branches: [{ StartAt: 'X', States: { X: { Type: 'Pass', End: true } } }],
          End: true,
        },
      },
    };
    expect(() => register(JSON.stringify(parallel))).toThrow(/Parallel is not supported/);
  });
});
