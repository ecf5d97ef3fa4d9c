import { describe, expect, it } from 'vitest';
import { createHarness, lambdaTask, types } from './harness.ts';

const mapDefinition = () => ({
  StartAt: 'Each',
  States: {
    Each: {
      Type: 'Map',
      ItemsPath: '$.items',
      MaxConcurrency: 1,
      ItemSelector: { 'index.$': '$$.Map.Item.Index', 'value.$': '$$.Map.Item.Value', 'tag.$': '$.tag' },
      ItemProcessor: {
        ProcessorConfig: { Mode: 'INLINE' },
        StartAt: 'Double',
        States: {
          Double: lambdaTask('double', {
            ResultSelector: { 'out.$': '$.Payload' },
            ResultPath: '$',
            End: true,
          }),
        },
      },
      ResultPath: '$.results',
      End: true,
    },
  },
});

describe('Map', () => {
  it('runs each item through ItemProcessor with ItemSelector and collects results in order', async () => {
    const h = createHarness({
      definition: mapDefinition(),
      lambdas: {
        double: (p) => `${(p as { tag: string }).tag}:${(p as { index: number; value: number }).value * 2}`,
      },
    });
    const done = await h.run({ tag: 't', items: [1, 2, 3] });
    expect(done.output).toEqual({
      tag: 't',
      items: [1, 2, 3],
      results: [{ out: 't:2' }, { out: 't:4' }, { out: 't:6' }],
    });
    expect(h.lambdaCalls.map((call) => call.payload)).toEqual([
      { index: 0, value: 1, tag: 't' },
      { index: 1, value: 2, tag: 't' },
      { index: 2, value: 3, tag: 't' },
    ]);
    const events = await h.history(done.executionArn);
    expect(types(events).filter((type) => type.startsWith('MapIteration'))).toEqual([
      'MapIterationStarted',
      'MapIterationSucceeded',
      'MapIterationStarted',
      'MapIterationSucceeded',
      'MapIterationStarted',
      'MapIterationSucceeded',
    ]);
    expect(events.find((event) => event.type === 'MapStateStarted')?.details.length).toBe(3);
  });

  it('fails the Map when an iteration fails, and its Catch handles it', async () => {
    const definition = mapDefinition();
    const h = createHarness({
      definition: {
        ...definition,
        States: {
          Each: {
            ...definition.States.Each,
            End: undefined,
            Next: 'Done',
            Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Handled', ResultPath: '$.err' }],
          },
          Done: { Type: 'Succeed' },
          Handled: { Type: 'Succeed' },
        },
      },
      lambdas: {
        double: (p) => {
          if ((p as { index: number }).index === 1) throw new RangeError('two is bad');
          return 0;
        },
      },
    });
    const done = await h.run({ tag: 't', items: [1, 2, 3] });
    expect(h.lambdaCalls).toHaveLength(2);
    expect(done.output).toMatchObject({ err: { Error: 'RangeError' } });
    const events = await h.history(done.executionArn);
    expect(events.find((event) => event.type === 'MapIterationFailed')?.details).toMatchObject({
      index: 1,
      error: 'RangeError',
    });
  });

  it('an empty item list gives an empty result', async () => {
    const h = createHarness({ definition: mapDefinition() });
    expect((await h.run({ tag: 't', items: [] })).output).toMatchObject({ results: [] });
  });
});

describe('Fail and Succeed', () => {
  it('Fail takes Error and CausePath from the input', async () => {
    const h = createHarness({
      definition: {
        StartAt: 'Check',
        States: {
          Check: {
            Type: 'Choice',
            Choices: [{ Variable: '$.decision', StringEquals: 'deny', Next: 'Denied' }],
            Default: 'Fine',
          },
          Denied: { Type: 'Fail', Error: 'PolicyDeniedError', CausePath: '$.reason' },
          Fine: { Type: 'Succeed' },
        },
      },
    });
    const denied = await h.run({ decision: 'deny', reason: 'over budget' });
    expect(denied).toMatchObject({ status: 'FAILED', error: 'PolicyDeniedError', cause: 'over budget' });
    expect(types(await h.history(denied.executionArn))).toEqual([
      'ExecutionStarted',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'FailStateEntered',
      'ExecutionFailed',
    ]);
    expect(await h.run({ decision: 'allow' })).toMatchObject({
      status: 'SUCCEEDED',
      output: { decision: 'allow' },
    });
  });

  it('a Choice without a match fails with States.NoChoiceMatched', async () => {
    const h = createHarness({
      definition: {
        StartAt: 'Check',
        States: {
          Check: { Type: 'Choice', Choices: [{ Variable: '$.go', StringEquals: 'yes', Next: 'Boom' }] },
          Boom: { Type: 'Fail', Error: 'E42', Cause: 'fixed' },
        },
      },
    });
    expect(await h.run({ go: 'yes' })).toMatchObject({ error: 'E42', cause: 'fixed' });
    expect(await h.run({ go: 'no' })).toMatchObject({ status: 'FAILED', error: 'States.NoChoiceMatched' });
  });
});
