import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AiosStack } from '../../lib/cloud/aios-stack.ts';
import { logicalIdOf, synthAios } from './synth.ts';

let stack: AiosStack;
let template: Template;
let topicRef: { Ref: string };

beforeAll(() => {
  ({ stack, template } = synthAios({
    context: { 'aios:alertEmail': 'ops@acme.example' },
  }));
  topicRef = { Ref: logicalIdOf(stack, stack.alerts.topic) };
});

const alarms = () => Object.entries(template.findResources('AWS::CloudWatch::Alarm'));
const alarmOf = (alarm: { node: { defaultChild?: unknown } }) =>
  template.findResources('AWS::CloudWatch::Alarm')[logicalIdOf(stack, alarm)]?.Properties ?? {};

describe('Alerts: the operator hears of every alarm', () => {
  it('mails the topic to aios:alertEmail', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@acme.example',
      TopicArn: topicRef,
    });
  });

  it('gives every alarm in the stack the topic as its alarm and OK action', () => {
    expect(alarms().length).toBeGreaterThanOrEqual(9);
    for (const [id, alarm] of alarms()) {
      expect(alarm.Properties.AlarmActions, id).toEqual([topicRef]);
      expect(alarm.Properties.OKActions, id).toEqual([topicRef]);
    }
  });

  it('refuses only TLS publishers on the topic', () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('outputs the topic and the two secrets the operator fills after the first deploy', () => {
    template.hasOutput('AlertTopicArn', { Value: topicRef });
    template.hasOutput('SlackBotTokenSecret', {
      Value: { Ref: logicalIdOf(stack, stack.gateway.slackBotTokenSecret) },
    });
    template.hasOutput('SlackSigningSecret', {
      Value: { Ref: logicalIdOf(stack, stack.approvals.slackSigningSecret) },
    });
  });

  it('refuses an alert address that is not an email address', () => {
    expect(() => synthAios({ context: { 'aios:alertEmail': 'ops at acme' } })).toThrow(
      /aios:alertEmail must be an email address/,
    );
  });

  it('has no subscription without aios:alertEmail, and still a topic every alarm acts on', () => {
    const bare = synthAios().template;
    expect(Object.keys(bare.findResources('AWS::SNS::Subscription'))).toEqual([]);
    for (const alarm of Object.values(bare.findResources('AWS::CloudWatch::Alarm')))
      expect(alarm.Properties.AlarmActions).toHaveLength(1);
  });
});

describe('Alarms for what stops the work', () => {
  it("watches the gateway's errors and throttles", () => {
    expect(alarmOf(stack.gateway.errorsAlarm)).toMatchObject({ MetricName: 'Errors', Threshold: 1 });
    expect(alarmOf(stack.gateway.throttlesAlarm)).toMatchObject({ MetricName: 'Throttles', Threshold: 1 });
  });

  it('fires when a dead letter has waited a day', () => {
    expect(alarmOf(stack.gateway.deadLetterAgeAlarm)).toMatchObject({
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: 86_400,
    });
  });

  it('fires when the escalation job fails or stops running', () => {
    expect(alarmOf(stack.approvals.escalationErrorsAlarm)).toMatchObject({ MetricName: 'Errors' });
    expect(alarmOf(stack.approvals.escalationStalledAlarm)).toMatchObject({
      MetricName: 'Invocations',
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  it('guards the daily model spend of both models, priced like the budgets', () => {
    const guard = alarmOf(stack.costGuard.alarm);
    expect(guard.Threshold).toBe(20);
    const metrics = guard.Metrics as { Id: string; Expression?: string; MetricStat?: { Metric: object } }[];
    const expression = metrics.find((m) => m.Expression)?.Expression ?? '';
    // Haiku 4.5: $1 in / $5 out per million tokens; Sonnet 4.5: $3 / $15 (functions/adapters/model-pricing.ts).
    expect(expression).toBe(
      '(FILL(in0, 0) * 1 + FILL(out0, 0) * 5 + FILL(in1, 0) * 3 + FILL(out1, 0) * 15) / 1000000',
    );
    expect(metrics.filter((m) => m.MetricStat).map((m) => m.MetricStat?.Metric)).toContainEqual({
      Namespace: 'AWS/Bedrock',
      MetricName: 'OutputTokenCount',
      // Bedrock reports a call through an inference profile under the profile's id.
      Dimensions: [{ Name: 'ModelId', Value: stack.agents.models.slow }],
    });
  });

  it('takes the cost ceiling from aios:dailyCostAlarmUsd', () => {
    const variant = synthAios({ context: { 'aios:dailyCostAlarmUsd': '50' } });
    const id = logicalIdOf(variant.stack, variant.stack.costGuard.alarm);
    expect(variant.template.findResources('AWS::CloudWatch::Alarm')[id]?.Properties.Threshold).toBe(50);
  });
});
