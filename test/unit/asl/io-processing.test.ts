import { describe, expect, it } from 'vitest';
import { applyResultPath, parseReferencePath } from '../../../lib/local/asl/json-path.ts';
import { createHarness, lambdaTask } from './harness.ts';

describe('JSONPath helpers', () => {
  it('parses reference paths and rejects the others', () => {
    expect(parseReferencePath("$.a['b c'][2]")).toEqual(['a', 'b c', 2]);
    expect(parseReferencePath('$.a[*]')).toBeUndefined();
    expect(parseReferencePath('$..a')).toBeUndefined();
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
  it('applies Parameters (paths and constants), ResultSelector and ResultPath', async () => {
    const h = createHarness({
      definition: {
        StartAt: 'Call',
        States: {
          Call: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Parameters: {
              FunctionName: 'price',
              Payload: {
                'id.$': '$.order.id',
                'customer.$': "$['customer']",
                constant: { nested: true },
              },
            },
            ResultSelector: { 'total.$': '$.Payload.total', 'code.$': '$.StatusCode' },
            ResultPath: '$.order.priced',
            End: true,
          },
        },
      },
      lambdas: { price: () => ({ total: 42 }) },
    });
    const done = await h.run({ customer: 'Ada', order: { id: 'o-1' } }, 'exec-1');
    expect(h.lambdaCalls[0]?.payload).toEqual({
      id: 'o-1',
      customer: 'Ada',
      constant: { nested: true },
    });
    expect(done.output).toEqual({ customer: 'Ada', order: { id: 'o-1', priced: { total: 42, code: 200 } } });
  });

  it('a Pass state shapes its input with Parameters and goes on', async () => {
    const h = createHarness({
      definition: {
        StartAt: 'Shape',
        States: {
          Shape: { Type: 'Pass', Parameters: { 'id.$': '$.order.id', fixed: 1 }, Next: 'Done' },
          Done: { Type: 'Succeed' },
        },
      },
    });
    const done = await h.run({ order: { id: 'o-1', total: 3 } });
    expect(done.output).toEqual({ id: 'o-1', fixed: 1 });
  });

  it('gives the full lambda:invoke result when there is no ResultSelector', async () => {
    const h = createHarness({
      definition: { StartAt: 'Call', States: { Call: lambdaTask('f', { ResultPath: '$.r', End: true }) } },
      lambdas: { f: () => 'ok' },
    });
    const done = await h.run({ a: 1 });
    expect(done.output).toEqual({ a: 1, r: { Payload: 'ok', StatusCode: 200, ExecutedVersion: '$LATEST' } });
  });

  it('fails the execution with States.Runtime when a path is missing, without affecting others', async () => {
    const h = createHarness({
      definition: {
        StartAt: 'Shape',
        States: {
          Shape: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Parameters: { FunctionName: 'echo', Payload: { 'x.$': '$.missing' } },
            ResultSelector: { 'x.$': '$.Payload.x' },
            End: true,
          },
        },
      },
      lambdas: { echo: (payload) => payload },
    });
    const [bad, good] = await Promise.all([h.run({}), h.run({ missing: 1 })]);
    expect(bad).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
    expect(bad.cause).toMatch(/\$\.missing/);
    expect(good).toMatchObject({ status: 'SUCCEEDED', output: { x: 1 } });
  });
});
