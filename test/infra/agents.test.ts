import type { Template } from 'aws-cdk-lib/assertions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AiosStack } from '../../lib/cloud/aios-stack.ts';
import { actionsOf, logicalIdOf, statementsOf, synthAios } from './synth.ts';

let stack: AiosStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthAios());
});

const props = (fn: IFunction) =>
  template.findResources('AWS::Lambda::Function')[logicalIdOf(stack, fn)]?.Properties ?? {};

const everyFunction = (): [string, IFunction][] => [
  ['planner', stack.agents.planner],
  ['executor', stack.agents.executor],
  ['monitor', stack.agents.monitor],
  ['run-recorder', stack.agents.runRecorder],
  ['gateway', stack.gateway.function],
  ...Object.entries({ ...stack.api.functions, ...stack.console.functions }),
];

describe('Lambda defaults', () => {
  it('every function runs Node.js 22 on arm64 with active tracing and JSON logs', () => {
    for (const [, fn] of everyFunction()) {
      expect(props(fn)).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Handler: 'index.handler',
        LoggingConfig: { LogFormat: 'JSON' },
      });
    }
  });

  it('every function logs to a log group of its own with a retention', () => {
    const logGroups = template.findResources('AWS::Logs::LogGroup');
    const ids = everyFunction().map(([, fn]) => {
      const ref = (props(fn).LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      expect(logGroups[ref]?.Properties.RetentionInDays).toBeGreaterThan(0);
      return ref;
    });
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('every function names its Powertools service and the aios namespace and runtime', () => {
    for (const [service, fn] of everyFunction()) {
      expect(props(fn).Environment.Variables).toMatchObject({
        POWERTOOLS_SERVICE_NAME: service,
        POWERTOOLS_METRICS_NAMESPACE: 'aios',
        AIOS_RUNTIME: 'aws',
      });
    }
  });
});

describe('Agents', () => {
  it.each([
    ['planner', () => stack.agents.planner],
    ['executor', () => stack.agents.executor],
    ['monitor', () => stack.agents.monitor],
    ['run recorder', () => stack.agents.runRecorder],
  ])('the %s gets the state table name', (_name, fn) => {
    expect(props(fn()).Environment.Variables.STATE_TABLE).toEqual({
      Ref: logicalIdOf(stack, stack.state.table),
    });
  });

  it('the planner gets the fast and slow model ids', () => {
    expect(props(stack.agents.planner).Environment.Variables).toMatchObject({
      MODEL_FAST_ID: 'global.anthropic.claude-haiku-4-5-20251001-v1:0',
      MODEL_SLOW_ID: 'global.anthropic.claude-sonnet-4-5-20250929-v1:0',
    });
  });
});

describe('Agents with cross-region inference profiles', () => {
  const fast = 'us.anthropic.claude-3-5-haiku-20241022-v1:0';
  const slow = 'eu.anthropic.claude-3-7-sonnet-20250219-v1:0';
  let variant: ReturnType<typeof synthAios>;

  beforeAll(() => {
    // The assets do not matter here; cdk-nag still runs, so its acknowledgements are checked too.
    variant = synthAios({ context: { 'aios:modelFast': fast, 'aios:modelSlow': slow } });
  });

  it('passes the profile ids to the planner', () => {
    const planner =
      variant.template.findResources('AWS::Lambda::Function')[
        logicalIdOf(variant.stack, variant.stack.agents.planner)
      ];
    expect(planner?.Properties.Environment.Variables).toMatchObject({
      MODEL_FAST_ID: fast,
      MODEL_SLOW_ID: slow,
    });
  });

  it('allows the profiles, and their models in any region only through those profiles', () => {
    const bedrock = statementsOf(variant.template, variant.stack, variant.stack.agents.planner.role).filter(
      (s) => actionsOf([s]).includes('bedrock:InvokeModel'),
    );
    const profileArn = (id: string) => ({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':bedrock:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          `:inference-profile/${id}`,
        ],
      ],
    });
    const anyRegionModel = (id: string) => ({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:bedrock:*::foundation-model/${id}`]],
    });
    // Memory's Titan embeddings aside, which every memory reader may call.
    const resources = (list: typeof bedrock) =>
      list.flatMap((st) => [st.Resource].flat()).filter((r) => !JSON.stringify(r).includes('titan-embed'));
    // Unconditioned: the two profiles and nothing else (the policy may merge them into one statement).
    expect(resources(bedrock.filter((st) => !st.Condition))).toEqual(
      expect.arrayContaining([profileArn(fast), profileArn(slow)]),
    );
    expect(resources(bedrock.filter((st) => !st.Condition))).toHaveLength(2);
    // Conditioned: each model in any region, only through its own profile.
    for (const id of [fast, slow]) {
      expect(bedrock).toContainEqual(
        expect.objectContaining({
          Resource: anyRegionModel(id.slice(id.indexOf('.') + 1)),
          Condition: { StringEquals: { 'bedrock:InferenceProfileArn': profileArn(id) } },
        }),
      );
    }
    expect(bedrock.filter((st) => st.Condition)).toHaveLength(2);
  });
});
