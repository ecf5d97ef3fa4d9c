import { describe, expect, it } from 'vitest';
import { applyResultPath, evaluatePath, parseReferencePath } from '../../../lib/local/asl/json-path.ts';
import { createHarness, lambdaTask } from './harness.ts';

describe('JSONPath helpers', () => {
  it('parses reference paths and rejects the others', () => {
    expect(parseReferencePath("$.a['b c'][2]")).toEqual(['a', 'b c', 2]);
    expect(parseReferencePath('$.a[*]')).toBeUndefined();
    expect(parseReferencePath('$..a')).toBeUndefined();
  });

  it('returns the matches of a non-reference path as an array', () => {
    expect(evaluatePath('$.items[*].id', { items: [{ id: 1 }, { id: 2 }] })).toEqual([1, 2]);
  });

  it('sets nested ResultPaths on a copy, creating objects on the way', () => {
    const input = { a: { keep: 1 } };
    expect(applyResultPath(input, 'r', '$.a.b.c')).toEqual({ a: { keep: 1, b: { c: 'r' } } });
    expect(input).toEqual({ a: { keep: 1 } });
    expect(applyResultPath(input, 'r', null)).toBe(input);
    expect(applyResultPath(input, 'r', '$')).toBe('r');
  });

  it('fails ResultPath through a non-object with States.ResultPathMatchFailure', () => {
    expect(() => applyResultPath({ a: 1 }, 'r', '$.a.b')).toThrow(
      expect.objectContaining({ name: 'States.ResultPathMatchFailure' }),
    );
  });
});

describe('input and output processing', () => {
  it('applies InputPath, Parameters (paths, context, intrinsics), ResultSelector, ResultPath and OutputPath', async () => {
    const h = createHarness({
      definition: {
        StartAt: 'Call',
        States: {
          Call: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            InputPath: '$.order',
            Parameters: {
              FunctionName: 'price',
              Payload: {
                'id.$': '$.id',
                'greeting.$': "States.Format('order {} for {}', $.id, $$.Execution.Input.customer)",
                'state.$': '$$.State.Name',
                'execution.$': '$$.Execution.Name',
                constant: { nested: true },
              },
            },
            ResultSelector: { 'total.$': '$.Payload.total', 'code.$': '$.StatusCode' },
            ResultPath: '$.order.priced',
            OutputPath: '$.order',
            End: true,
          },
        },
      },
      lambdas: { price: () => ({ total: 42 }) },
    });
    const done = await h.run({ customer: 'Ada', order: { id: 'o-1' } }, 'exec-1');
    expect(h.lambdaCalls[0]?.payload).toEqual({
      id: 'o-1',
      greeting: 'order o-1 for Ada',
      state: 'Call',
      execution: 'exec-1',
      constant: { nested: true },
    });
    expect(done.output).toEqual({ id: 'o-1', priced: { total: 42, code: 200 } });
  });

  it('gives the full lambda:invoke result when there is no ResultSelector', async () => {
    const h = createHarness({
      definition: { StartAt: 'Call', States: { Call: lambdaTask('f', { ResultPath: '$.r', End: true }) } },
      lambdas: { f: () => 'ok' },
    });
    const done = await h.run({ a: 1 });
    expect(done.output).toEqual({ a: 1, r: { Payload: 'ok', StatusCode: 200, ExecutedVersion: '$LATEST' } });
  });

  it('Pass applies Parameters, then Result overrides, with ResultPath null keeping the input', async () => {
    const h = createHarness({
      definition: {
        StartAt: 'Shape',
        States: {
          Shape: {
            Type: 'Pass',
            Parameters: { 'x.$': '$.a', 'n.$': 'States.ArrayLength($.list)' },
            Next: 'Fixed',
          },
          Fixed: { Type: 'Pass', Result: { fixed: 1 }, ResultPath: '$.fixed', Next: 'Discard' },
          Discard: { Type: 'Pass', Result: 'ignored', ResultPath: null, End: true },
        },
      },
    });
    const done = await h.run({ a: 'A', list: [1, 2] });
    expect(done.output).toEqual({ x: 'A', n: 2, fixed: { fixed: 1 } });
  });

  it('fails the execution with States.Runtime when a path is missing, without affecting others', async () => {
    const h = createHarness({
      definition: {
        StartAt: 'Shape',
        States: { Shape: { Type: 'Pass', Parameters: { 'x.$': '$.missing' }, End: true } },
      },
    });
    const [bad, good] = await Promise.all([h.run({}), h.run({ missing: 1 })]);
    expect(bad).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
    expect(bad.cause).toMatch(/\$\.missing/);
    expect(good).toMatchObject({ status: 'SUCCEEDED', output: { x: 1 } });
  });
});
