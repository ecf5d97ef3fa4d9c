import { Match, type Template } from 'aws-cdk-lib/assertions';
import type { CfnRole } from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { shippedCatalog } from '../../functions/shipped-playbooks.ts';
import type { AiosStack } from '../../lib/cloud/aios-stack.ts';
import { SCHEDULE_RETRY } from '../../lib/cloud/triggers.ts';
import { actionsOf, logicalIdOf, statementsOf, synthAios } from './synth.ts';

let stack: AiosStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthAios());
});

const scheduledPlaybooks = () => shippedCatalog.list().filter((w) => w.trigger.type === 'schedule');
const functionArn = () => ({ 'Fn::GetAtt': [logicalIdOf(stack, stack.triggers.scheduleFunction), 'Arn'] });

describe('Triggers', () => {
  it('creates one schedule per scheduled playbook, with its expression and time zone', () => {
    const schedules = template.findResources('AWS::Scheduler::Schedule');
    expect(scheduledPlaybooks().length).toBeGreaterThan(0);
    expect(Object.keys(schedules)).toHaveLength(scheduledPlaybooks().length);
    for (const workflow of scheduledPlaybooks()) {
      if (workflow.trigger.type !== 'schedule') continue;
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: workflow.trigger.expression,
        ScheduleExpressionTimezone: workflow.trigger.timezone,
        State: 'ENABLED',
        Target: Match.objectLike({
          Arn: functionArn(),
          Input: JSON.stringify({ playbook: workflow.name, scheduledTime: '<aws.scheduler.scheduled-time>' }),
        }),
      });
    }
  });

  it('gives every schedule a retry policy and the dead-letter queue', () => {
    const dlq = { 'Fn::GetAtt': [logicalIdOf(stack, stack.triggers.deadLetterQueue), 'Arn'] };
    for (const schedule of Object.values(template.findResources('AWS::Scheduler::Schedule'))) {
      expect(schedule.Properties.Target.RetryPolicy).toEqual({
        MaximumEventAgeInSeconds: SCHEDULE_RETRY.maximumEventAgeInSeconds,
        MaximumRetryAttempts: SCHEDULE_RETRY.maximumRetryAttempts,
      });
      expect(schedule.Properties.Target.DeadLetterConfig).toEqual({ Arn: dlq });
    }
    // A fire the function itself fails, after Lambda's retries, lands in the same queue.
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalIdOf(stack, stack.triggers.scheduleFunction) },
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: dlq } },
    });
  });

  it('the target role may invoke only the start-run function (and send to its DLQ)', () => {
    const statements = statementsOf(template, stack, stack.triggers.schedulerRole);
    const invoke = statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('lambda:')));
    expect(actionsOf(invoke)).toEqual(['lambda:InvokeFunction']);
    const resources = invoke.flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]));
    expect(resources).toEqual([functionArn()]);
    const others = actionsOf(statements.filter((s) => !invoke.includes(s)));
    expect(
      others.every(
        (a) => a.startsWith('sqs:Send') || a === 'sqs:GetQueueAttributes' || a === 'sqs:GetQueueUrl',
      ),
    ).toBe(true);
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: Match.absent(),
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ],
      },
    });
  });

  it('lets the schedule function start executions of the run state machine, and no task tokens', () => {
    const actions = actionsOf(statementsOf(template, stack, stack.triggers.scheduleFunction.role));
    expect(actions).toContain('states:StartExecution');
    expect(actions.filter((a) => a.startsWith('states:SendTask'))).toEqual([]);
  });

  it('keeps one generated signing secret per webhook playbook, never in the template', () => {
    const hooks = shippedCatalog.list().filter((w) => w.trigger.type === 'webhook');
    expect(Object.keys(stack.triggers.hookSecrets).sort()).toEqual(hooks.map((w) => w.name).sort());
    for (const secret of Object.values(stack.triggers.hookSecrets)) {
      const resource = template.findResources('AWS::SecretsManager::Secret')[logicalIdOf(stack, secret)];
      expect(resource?.Properties.GenerateSecretString).toBeDefined();
      expect(resource?.Properties.SecretString).toBeUndefined();
      expect(resource?.Properties.Name).toMatch(/\/hooks\/payment-received$/);
    }
  });

  it('lets the webhook function, and no other, read the hook secrets; the API knows its own URL for schedules fire', () => {
    const secretRefs = Object.values(stack.triggers.hookSecrets).map((secret) =>
      JSON.stringify({ Ref: logicalIdOf(stack, secret) }),
    );
    const readsHookSecret = (fn: { role?: Parameters<typeof statementsOf>[2] }) =>
      statementsOf(template, stack, fn.role).some(
        (s) =>
          actionsOf([s]).includes('secretsmanager:GetSecretValue') &&
          secretRefs.some((ref) => JSON.stringify(s.Resource).includes(ref)),
      );
    expect(readsHookSecret(stack.hooks.function)).toBe(true);
    for (const other of [
      ...Object.values(stack.api.functions),
      stack.triggers.scheduleFunction,
      stack.approvals.linkFunction,
    ])
      expect(readsHookSecret(other), other.node.path).toBe(false);
    const envOf = (fn: { node: { defaultChild?: unknown } }) =>
      template.findResources('AWS::Lambda::Function')[logicalIdOf(stack, fn)]?.Properties.Environment
        .Variables;
    expect(envOf(stack.hooks.function)).toMatchObject({ HOOK_SECRET_PREFIX: stack.triggers.secretPrefix });
    expect(envOf(stack.api.functions['api-registry'])?.AIOS_API_URL).toBeDefined();
  });

  it('alarms on a dead-lettered fire', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('schedule fire'),
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [logicalIdOf(stack, stack.triggers.deadLetterQueue), 'QueueName'] },
        },
      ],
    });
  });

  it('puts every schedule in the playbook group, named after its playbook (what a push updates)', () => {
    const group = { Ref: stack.getLogicalId(stack.triggers.scheduleGroup) };
    template.hasResourceProperties('AWS::Scheduler::ScheduleGroup', { Name: 'Aios-playbooks' });
    for (const workflow of scheduledPlaybooks())
      template.hasResourceProperties('AWS::Scheduler::Schedule', { Name: workflow.name, GroupName: group });
  });

  it("lets the API's registry function, and no other function, keep pushed schedules: in the playbook group only, passing the scheduler role to the scheduler only", () => {
    const group = stack.getLogicalId(stack.triggers.scheduleGroup);
    const registry = stack.api.functions['api-registry'];
    const api = statementsOf(template, stack, registry.role);
    const scheduling = api.filter((s) => actionsOf([s]).some((a) => a.startsWith('scheduler:')));
    expect(scheduling).toHaveLength(1);
    expect(actionsOf(scheduling).sort()).toEqual([
      'scheduler:CreateSchedule',
      'scheduler:DeleteSchedule',
      'scheduler:GetSchedule',
      'scheduler:UpdateSchedule',
    ]);
    expect(scheduling[0]?.Resource).toEqual({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':scheduler:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ':schedule/',
          { Ref: group },
          '/*',
        ],
      ],
    });
    const passing = api.filter((s) => actionsOf([s]).includes('iam:PassRole'));
    expect(passing).toEqual([
      {
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: { 'Fn::GetAtt': [logicalIdOf(stack, stack.triggers.schedulerRole), 'Arn'] },
        Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      },
    ]);
    const others = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter(
        (policy) =>
          !JSON.stringify(policy.Properties.Roles).includes(
            stack.getLogicalId(registry.role?.node.defaultChild as CfnRole),
          ),
      )
      .flatMap((policy) => actionsOf(policy.Properties.PolicyDocument.Statement));
    expect(others.filter((a) => a.startsWith('scheduler:') || a === 'iam:PassRole')).toEqual([]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          SCHEDULE_GROUP: { Ref: group },
          SCHEDULE_TARGET_ARN: functionArn(),
          SCHEDULER_ROLE_ARN: { 'Fn::GetAtt': [logicalIdOf(stack, stack.triggers.schedulerRole), 'Arn'] },
        }),
      },
    });
  });
});
