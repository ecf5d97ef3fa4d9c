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
    const errors = validateDefinition({ StartAt: 'Missing', States: { A: { Type: 'Succeed' } } });
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
    expect(() => register('{"StartAt":"A","States":{"A":{"Type":"Task"}}}')).toThrow(
      /InvalidDefinition|invalid/,
    );
  });

  it.each<[string, object, RegExp]>([
    [
      'a state type',
      { Type: 'Wait', Seconds: 1, End: true },
      /state 'A': type Wait is not supported locally/,
    ],
    [
      'a state type',
      { Type: 'Wait', Seconds: 1, End: true },
      /state 'A': type Wait is not supported locally/,
    ],
    [
      'an intrinsic function',
      {
        ...task,
        Parameters: { FunctionName: 'f', Payload: { 'id.$': 'States.UUID()' } },
      },
      /state 'A': Parameters: intrinsic function States\.UUID is not supported locally/,
    ],
    ['a field', { ...task, InputPath: '$.order' }, /state 'A': field InputPath is not supported locally/],
    [
      'a Choice comparison',
      {
        Type: 'Choice',
        Choices: [{ Variable: '$.n', NumericGreaterThan: 1, Next: 'Done' }],
        Default: 'Done',
      },
      /state 'A': Choice rule NumericGreaterThan is not supported locally/,
    ],
    [
      'a context path',
      { ...task, Parameters: { FunctionName: 'f', Payload: { 'name.$': '$$.Execution.Name' } } },
      /state 'A': Parameters: context path '\$\$\.Execution\.Name' is not supported locally/,
    ],
    [
      'a path that is not a reference path',
      { ...task, Parameters: { FunctionName: 'f', Payload: { 'ids.$': '$.items[*].id' } } },
      /state 'A': Parameters: '\$\.items\[\*\]\.id' is not a reference path/,
    ],
    [
      'a resource',
      { ...task, Resource: 'arn:aws:states:::dynamodb:putItem', Parameters: { TableName: 't', Item: {} } },
      /state 'A': resource arn:aws:states:::dynamodb:putItem is not supported locally/,
    ],
  ])('rejects %s the interpreter does not run, naming the state: %j', (_what, state, message) => {
    // A Choice needs a state to go to; any other state here ends the machine itself.
    const done = 'Choices' in state ? { Done: { Type: 'Succeed' } } : {};
    expect(() => register(JSON.stringify({ StartAt: 'A', States: { A: state, ...done } }))).toThrow(message);
  });

  it('rejects what it does not run inside a Map too', () => {
    const map = {
      StartAt: 'Each',
      States: {
        Each: {
          Type: 'Map',
          ItemProcessor: {
            ProcessorConfig: { Mode: 'INLINE' },
            StartAt: 'Pause',
            States: { Pause: { Type: 'Wait', Seconds: 1, End: true } },
          },
          End: true,
        },
      },
    };
    expect(() => register(JSON.stringify(map))).toThrow(
      /state 'Each\/Pause': type Wait is not supported locally/,
    );
  });

  it('rejects states the interpreter does not support', () => {
    const parallel = {
      StartAt: 'P',
      States: {
        P: {
          Type: 'Parallel',
          Branches: [{ StartAt: 'X', States: { X: { Type: 'Succeed' } } }],
          End: true,
        },
      },
    };
    expect(() => register(JSON.stringify(parallel))).toThrow(/Parallel is not supported/);
  });

  it('loads every definition in statemachines/ within the subset', () => {
    const text = readFileSync(`${statemachines}run.asl.json`, 'utf8');
    const substitutions = Object.fromEntries(
      [...text.matchAll(/\$\{(\w+)\}/g)].map(([, name]) => [name as string, `local-${name}`]),
    );
    for (const file of files) {
      expect(() => register(readFileSync(`${statemachines}${file}`, 'utf8'), substitutions)).not.toThrow();
    }
  });
});

const task = {
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke',
  Parameters: { FunctionName: 'f', 'Payload.$': '$' },
  End: true,
};
