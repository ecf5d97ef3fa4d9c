import { describe, expect, it } from 'vitest';
import { createHarness, lambdaTask, timestampOf, types } from './harness.ts';
import { ManualClock } from './manual-clock.ts';

const mapDefinition = (
  processorKey: 'ItemProcessor' | 'Iterator',
  selectorKey: 'ItemSelector' | 'Parameters',
) => ({
  StartAt: 'Each',
  States: {
    Each: {
      Type: 'Map',
      ItemsPath: '$.items',
      MaxConcurrency: 1,
      [selectorKey]: { 'index.$': '$$.Map.Item.Index', 'value.$': '$$.Map.Item.Value', 'tag.$': '$.tag' },
      [processorKey]: {
        ...(processorKey === 'ItemProcessor' && { ProcessorConfig: { Mode: 'INLINE' } }),
        StartAt: 'Double',
        States: {
          Double: lambdaTask('double', {
            ResultSelector: { 'out.$': '$.Payload' },
            OutputPath: '$.out',
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
  it.each([
    ['ItemProcessor', 'ItemSelector'],
    ['Iterator', 'Parameters'],
  ] as const)(
    'runs each item through %s with %s and collects results in order',
    async (processor, selector) => {
      const h = createHarness({
        definition: mapDefinition(processor, selector),
        lambdas: {
          double: (p) => `${(p as { tag: string }).tag}:${(p as { index: number; value: number }).value * 2}`,
        },
      });
      const done = await h.run({ tag: 't', items: [1, 2, 3] });
      expect(done.output).toEqual({ tag: 't', items: [1, 2, 3], results: ['t:2', 't:4', 't:6'] });
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
    },
  );

  it('fails the Map when an iteration fails, and its Catch handles it', async () => {
    const definition = mapDefinition('ItemProcessor', 'ItemSelector');
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
          Handled: { Type: 'Pass', End: true },
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
    const h = createHarness({ definition: mapDefinition('ItemProcessor', 'ItemSelector') });
    expect((await h.run({ tag: 't', items: [] })).output).toMatchObject({ results: [] });
  });
});

const pauseFor = (wait: object) => ({
  StartAt: 'Pause',
  States: { Pause: { Type: 'Wait', ...wait, End: true } },
});

describe('Wait', () => {
  it.each([
    ['Seconds', () => ({ Seconds: 2 })],
    ['SecondsPath', () => ({ SecondsPath: '$.delay' })],
    ['Timestamp', (now: number) => ({ Timestamp: new Date(now + 2_000).toISOString() })],
    ['TimestampPath', () => ({ TimestampPath: '$.at' })],
  ])('waits for %s, scaled, from entering the state', async (_kind, waitFields) => {
    const clock = new ManualClock();
    const entered = clock.now();
    const h = createHarness({
      timeScale: 0.05,
      clock,
      definition: pauseFor(waitFields(entered)),
    });
    const input = { delay: 2, at: new Date(entered + 2_000).toISOString() };
    const { executionArn } = await h.sfn.startExecution({ stateMachineName: 'machine', input });
    // 2 s × 0.05 = 100 ms.
    expect(await clock.nextDeadline()).toBe(entered + 100);
    clock.advanceTo(entered + 100);
    expect(await h.sfn.waitForExecution(executionArn)).toMatchObject({ status: 'SUCCEEDED', output: input });
    const events = await h.history(executionArn);
    expect(timestampOf(events, 'WaitStateEntered')).toBe(entered);
    expect(timestampOf(events, 'WaitStateExited')).toBe(entered + 100);
  });

  it('rounds a scaled wait up to the next millisecond, never down', async () => {
    const clock = new ManualClock();
    const entered = clock.now();
    const h = createHarness({
      timeScale: 0.0015,
      clock,
      definition: pauseFor({ Seconds: 1 }),
    });
    await h.sfn.startExecution({ stateMachineName: 'machine' });
    // 1 s × 0.0015 = 1.5 ms: ending after 1 ms would end it early.
    expect(await clock.nextDeadline()).toBe(entered + 2);
  });

  it('ends a Wait whose Timestamp has passed at once', async () => {
    const clock = new ManualClock();
    const entered = clock.now();
    const h = createHarness({
      timeScale: 1,
      clock,
      definition: pauseFor({ Timestamp: new Date(entered - 60_000).toISOString() }),
    });
    const done = await h.run();
    expect(timestampOf(await h.history(done.executionArn), 'WaitStateExited')).toBe(entered);
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
          Fine: { Type: 'Succeed', OutputPath: '$.decision' },
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
    expect(await h.run({ decision: 'allow' })).toMatchObject({ status: 'SUCCEEDED', output: 'allow' });
  });

  it('Fail takes ErrorPath too; a Choice without a match fails with States.NoChoiceMatched', async () => {
    const h = createHarness({
      definition: {
        StartAt: 'Check',
        States: {
          Check: { Type: 'Choice', Choices: [{ Variable: '$.go', BooleanEquals: true, Next: 'Boom' }] },
          Boom: { Type: 'Fail', ErrorPath: '$.code', Cause: 'fixed' },
        },
      },
    });
    expect(await h.run({ go: true, code: 'E42' })).toMatchObject({ error: 'E42', cause: 'fixed' });
    expect(await h.run({ go: false })).toMatchObject({ status: 'FAILED', error: 'States.NoChoiceMatched' });
  });
});
