import { describe, expect, it } from 'vitest';
import { HANDLER_ENV } from '../../bench/bundles.ts';
import { AiosFunction } from '../../lib/cloud/aios-function.ts';
import { logicalIdOf, synthAios } from './synth.ts';

// bench section a imports every bundle with HANDLER_ENV: a variable a function gains in the stack but
// not there makes its bundle throw at import (requireEnv), or time a path the Lambda never takes.
describe('bench HANDLER_ENV', () => {
  it('has a value for every environment variable of every aios function', () => {
    const { stack, template } = synthAios();
    const resources = template.findResources('AWS::Lambda::Function');
    const functions = stack.node
      .findAll()
      .filter((construct): construct is AiosFunction => construct instanceof AiosFunction);
    expect(functions.length).toBeGreaterThanOrEqual(14);
    const missing = functions.flatMap((aios) => {
      const environment = resources[logicalIdOf(stack, aios.function)]?.Properties.Environment as
        | { Variables?: Record<string, unknown> }
        | undefined;
      return Object.keys(environment?.Variables ?? {})
        .filter((name) => !(name in HANDLER_ENV))
        .map((name) => `${aios.node.path}: ${name}`);
    });
    expect(missing).toEqual([]);
  });
});
