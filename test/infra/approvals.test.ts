import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AiosStack } from '../../lib/cloud/aios-stack.ts';
import { actionsOf, logicalIdOf, statementsOf, synthAios } from './synth.ts';

let stack: AiosStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthAios());
});

const taskAnswers = (fn: { role?: unknown }) =>
  actionsOf(statementsOf(template, stack, fn.role as never)).filter((a) => a.startsWith('states:SendTask'));

describe('Approvals', () => {
  it('keeps the link key and the Slack signing secret in Secrets Manager, generated, never in the template', () => {
    for (const secret of [stack.approvals.linkKey, stack.approvals.slackSigningSecret]) {
      const resource = template.findResources('AWS::SecretsManager::Secret')[logicalIdOf(stack, secret)];
      expect(resource?.Properties.GenerateSecretString).toBeDefined();
      expect(resource?.Properties.SecretString).toBeUndefined();
    }
  });

  it('runs the escalation job every five minutes', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [logicalIdOf(stack, stack.approvals.escalationFunction), 'Arn'] },
          Input: '{"op":"escalate"}',
        }),
      ],
    });
  });

  it('lets the deciding functions answer task tokens, and not the request function the state machine invokes', () => {
    for (const fn of [
      stack.approvals.escalationFunction,
      stack.approvals.linkFunction,
      stack.approvals.slackFunction,
    ]) {
      expect(taskAnswers(fn).sort()).toEqual([
        'states:SendTaskFailure',
        'states:SendTaskHeartbeat',
        'states:SendTaskSuccess',
      ]);
    }
    expect(taskAnswers(stack.approvals.requestFunction)).toEqual([]);
  });

  it('lets the scheduled job start executions of the run state machine only, for the recovery sweep', () => {
    const starts = statementsOf(template, stack, stack.approvals.escalationFunction.role as never).filter(
      (s) => actionsOf([s]).includes('states:StartExecution'),
    );
    // CDK merges it with the task-token grant on the same resource: the state machine, nothing wider.
    expect(starts.map((s) => s.Resource)).toEqual([
      { Ref: logicalIdOf(stack, stack.orchestrator.stateMachine) },
    ]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: Match.absent(),
      Environment: {
        Variables: Match.objectLike({
          STATE_MACHINE_ARN: { Ref: logicalIdOf(stack, stack.orchestrator.stateMachine) },
          POWERTOOLS_SERVICE_NAME: 'approval-escalation',
        }),
      },
    });
    for (const fn of [
      stack.approvals.requestFunction,
      stack.approvals.linkFunction,
      stack.approvals.slackFunction,
    ]) {
      expect(actionsOf(statementsOf(template, stack, fn.role as never))).not.toContain(
        'states:StartExecution',
      );
    }
  });

  it('lets the scheduled job describe the executions of the run state machine only (a QUEUED run whose execution ended), and read their history (the token an unanswered action waits on)', () => {
    const describes = statementsOf(template, stack, stack.approvals.escalationFunction.role as never).filter(
      (s) => actionsOf([s]).includes('states:DescribeExecution'),
    );
    // execution:<this state machine's name>:*, the narrowest ARN an execution named at run time has.
    expect(describes).toHaveLength(1);
    expect(actionsOf(describes).sort()).toEqual(['states:DescribeExecution', 'states:GetExecutionHistory']);
    expect(JSON.stringify(describes[0]?.Resource)).toMatch(
      new RegExp(`:execution:.*${logicalIdOf(stack, stack.orchestrator.stateMachine)}.*:\\*"`),
    );
    for (const fn of [
      stack.approvals.requestFunction,
      stack.approvals.linkFunction,
      stack.approvals.slackFunction,
    ]) {
      const actions = actionsOf(statementsOf(template, stack, fn.role as never));
      expect(actions).not.toContain('states:DescribeExecution');
      expect(actions).not.toContain('states:GetExecutionHistory');
    }
  });

  it('gives only the Slack endpoint the signing secret', () => {
    const ref = JSON.stringify({ Ref: logicalIdOf(stack, stack.approvals.slackSigningSecret) });
    const readers = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.PolicyDocument).includes(ref),
    );
    expect(readers.map((p) => p.Properties.Roles)).toEqual([
      [{ Ref: logicalIdOf(stack, stack.approvals.slackFunction.role as never) }],
    ]);
  });
});
