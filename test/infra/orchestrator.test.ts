import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AiosStack } from '../../lib/cloud/aios-stack.ts';
import { aslPlaceholders, Orchestrator, RUN_DEFINITION_PATH } from '../../lib/cloud/orchestrator.ts';
import { actionsOf, logicalIdOf, statementsOf, synthAios } from './synth.ts';

let stack: AiosStack;
let template: Template;
let assemblyDir: string;
let stateMachine: Record<string, unknown>;
let substitutions: Record<string, unknown>;

beforeAll(() => {
  let app: App;
  ({ app, stack, template } = synthAios());
  assemblyDir = app.synth().directory;
  stateMachine = template.findResources('AWS::StepFunctions::StateMachine')[
    logicalIdOf(stack, stack.orchestrator.stateMachine)
  ]?.Properties;
  substitutions = stateMachine.DefinitionSubstitutions as Record<string, unknown>;
});

const arnOf = (fn: lambda.IFunction) => ({ 'Fn::GetAtt': [logicalIdOf(stack, fn), 'Arn'] });

describe('Orchestrator: the definition', () => {
  it('is a Standard state machine deployed from statemachines/run.asl.json itself', () => {
    const key = (stateMachine.DefinitionS3Location as { Key: string }).Key;
    const deployed = readFileSync(join(assemblyDir, `asset.${key}`), 'utf8');
    expect(stateMachine.StateMachineType).toBe('STANDARD');
    expect(deployed).toBe(readFileSync(RUN_DEFINITION_PATH, 'utf8'));
  });

  it('fills every placeholder of the ASL file', () => {
    const placeholders = aslPlaceholders(readFileSync(RUN_DEFINITION_PATH, 'utf8'));
    expect(placeholders.length).toBeGreaterThan(0);
    expect(Object.keys(substitutions).sort()).toEqual([...placeholders].sort());
  });

  it('leaves no ${ in the definition once the substitutions are applied', () => {
    const key = (stateMachine.DefinitionS3Location as { Key: string }).Key;
    let rendered = readFileSync(join(assemblyDir, `asset.${key}`), 'utf8');
    // CloudFormation replaces each placeholder with its value; a marker stands in for the value.
    for (const name of Object.keys(substitutions)) {
      rendered = rendered.replaceAll(`\${${name}}`, `resolved:${name}`);
    }
    expect(rendered).not.toContain('${');
    expect(() => JSON.parse(rendered)).not.toThrow();
  });

  it('substitutes the ARNs of the four agents, the approval request function and the URL of the action queue', () => {
    expect(substitutions).toEqual({
      ApprovalFunctionArn: arnOf(stack.approvals.requestFunction),
      PlannerFunctionArn: arnOf(stack.agents.planner),
      ExecutorFunctionArn: arnOf(stack.agents.executor),
      MonitorFunctionArn: arnOf(stack.agents.monitor),
      RunRecorderFunctionArn: arnOf(stack.agents.runRecorder),
      ActionQueueUrl: { Ref: logicalIdOf(stack, stack.gateway.queue) },
    });
  });

  it('refuses an ASL file with a placeholder it does not fill', () => {
    const scope = new Stack(new App(), 'Bad');
    const fn = (name: string) =>
      lambda.Function.fromFunctionArn(scope, name, `arn:aws:lambda:eu-west-1:111111111111:function:${name}`);
    const props = {
      planner: fn('planner'),
      executor: fn('executor'),
      monitor: fn('monitor'),
      runRecorder: fn('recorder'),
      approvals: fn('approvals'),
      actionQueue: sqs.Queue.fromQueueArn(scope, 'Queue', 'arn:aws:sqs:eu-west-1:111111111111:actions'),
      definitionPath: fileURLToPath(new URL('./fixtures/unknown-placeholder.asl.json', import.meta.url)),
    };
    expect(() => new Orchestrator(scope, 'Orchestrator', props)).toThrow(/NotifierFunctionArn/);
  });
});

describe('Orchestrator: observability', () => {
  it('logs all events to its own log group, without execution data', () => {
    expect(stateMachine.LoggingConfiguration).toEqual({
      Destinations: [
        {
          CloudWatchLogsLogGroup: {
            LogGroupArn: { 'Fn::GetAtt': [logicalIdOf(stack, stack.orchestrator.logGroup), 'Arn'] },
          },
        },
      ],
      IncludeExecutionData: false,
      Level: 'ALL',
    });
  });

  it('traces executions with X-Ray', () => {
    expect(stateMachine.TracingConfiguration).toEqual({ Enabled: true });
  });

  it('raises an alarm when an execution fails', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/States',
      MetricName: 'ExecutionsFailed',
      Dimensions: [
        { Name: 'StateMachineArn', Value: { Ref: logicalIdOf(stack, stack.orchestrator.stateMachine) } },
      ],
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
    });
  });
});

describe('Orchestrator: runs never look alive after their execution ended', () => {
  it('sends FAILED, TIMED_OUT and ABORTED executions of this state machine to the run recorder', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: {
          status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
          stateMachineArn: [{ Ref: logicalIdOf(stack, stack.orchestrator.stateMachine) }],
        },
      },
      Targets: Match.arrayWith([
        Match.objectLike({
          Arn: arnOf(stack.agents.runRecorder),
          InputTransformer: Match.objectLike({
            InputPathsMap: Match.objectLike({
              'detail-name': '$.detail.name',
              'detail-status': '$.detail.status',
            }),
            InputTemplate: Match.stringLikeRegexp('"op":"execution-ended"'),
          }),
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 21600 },
        }),
      ]),
    });
  });

  it('lets EventBridge invoke the run recorder', () => {
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: arnOf(stack.agents.runRecorder),
    });
  });
});

describe('Orchestrator: permissions', () => {
  it('may invoke exactly the four agents and the approval request function', () => {
    const invoke = statementsOf(template, stack, stack.orchestrator.stateMachine.role).filter((s) =>
      actionsOf([s]).includes('lambda:InvokeFunction'),
    );
    const resources = invoke.flatMap((s) => s.Resource as unknown[]);
    const agents = [
      stack.agents.planner,
      stack.agents.executor,
      stack.agents.monitor,
      stack.agents.runRecorder,
      stack.approvals.requestFunction,
    ];
    expect(resources).toHaveLength(agents.length * 2);
    for (const agent of agents) {
      expect(resources).toContainEqual(arnOf(agent));
      expect(resources).toContainEqual({ 'Fn::Join': ['', [arnOf(agent), ':$LATEST']] });
    }
  });

  it('may send messages only to the action queue', () => {
    const send = statementsOf(template, stack, stack.orchestrator.stateMachine.role).filter((s) =>
      actionsOf([s]).some((a) => a.startsWith('sqs:')),
    );
    expect(send).toHaveLength(1);
    expect(actionsOf(send)).toContain('sqs:SendMessage');
    expect(send[0]?.Resource).toEqual({ 'Fn::GetAtt': [logicalIdOf(stack, stack.gateway.queue), 'Arn'] });
  });
});
