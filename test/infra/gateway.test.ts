import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AiosStack } from '../../lib/cloud/aios-stack.ts';
import { logicalIdOf, synthAios } from './synth.ts';

let stack: AiosStack;
let template: Template;
let queueId: string;
let dlqId: string;
let functionId: string;

beforeAll(() => {
  ({ stack, template } = synthAios());
  queueId = logicalIdOf(stack, stack.gateway.queue);
  dlqId = logicalIdOf(stack, stack.gateway.deadLetterQueue);
  functionId = logicalIdOf(stack, stack.gateway.function);
});

const resource = (type: string, id: string) => template.findResources(type)[id]?.Properties ?? {};

describe('Gateway: the action queue', () => {
  it('dead-letters a message after 5 failed deliveries', () => {
    expect(resource('AWS::SQS::Queue', queueId).RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] },
      maxReceiveCount: 5,
    });
  });

  it('keeps a message invisible for at least six times the gateway timeout', () => {
    const timeout = resource('AWS::Lambda::Function', functionId).Timeout as number;
    const visibility = resource('AWS::SQS::Queue', queueId).VisibilityTimeout as number;
    expect(timeout).toBeGreaterThan(0);
    expect(visibility).toBeGreaterThanOrEqual(6 * timeout);
  });

  it('encrypts both queues at rest', () => {
    expect(resource('AWS::SQS::Queue', queueId).SqsManagedSseEnabled).toBe(true);
    expect(resource('AWS::SQS::Queue', dlqId).SqsManagedSseEnabled).toBe(true);
  });

  it.each([
    ['action queue', () => queueId],
    ['dead-letter queue', () => dlqId],
  ])('denies requests without TLS on the %s', (_name, id) => {
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: id() }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sqs:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('keeps dead letters for 14 days', () => {
    expect(resource('AWS::SQS::Queue', dlqId).MessageRetentionPeriod).toBe(14 * 24 * 60 * 60);
  });
});

describe('Gateway: the function', () => {
  it('consumes the queue reporting failed records one by one, in bounded batches and concurrency', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionName: { Ref: functionId },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 5,
      ScalingConfig: { MaximumConcurrency: 5 },
    });
  });

  it('gets the state and idempotency tables and the Powertools settings', () => {
    expect(resource('AWS::Lambda::Function', functionId).Environment).toEqual({
      Variables: expect.objectContaining({
        STATE_TABLE: { Ref: logicalIdOf(stack, stack.state.table) },
        IDEMPOTENCY_TABLE: { Ref: logicalIdOf(stack, stack.state.idempotencyTable) },
        POWERTOOLS_SERVICE_NAME: 'gateway',
        POWERTOOLS_METRICS_NAMESPACE: 'aios',
        AIOS_RUNTIME: 'aws',
      }),
    });
  });
});

describe('Gateway: the dead-letter alarm', () => {
  it('fires as soon as one message is visible in the dead-letter queue', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      EvaluationPeriods: 1,
    });
  });
});
