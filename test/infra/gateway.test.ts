import { Validations } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AiosStack } from '../../lib/cloud/aios-stack.ts';
import { actionsOf, logicalIdOf, type Statement, statementsOf, synthAios } from './synth.ts';

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

describe('Gateway: the credential-refused alarm', () => {
  it('fires on the first credential http.request refused to send to a host it is not bound to', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'aios',
      MetricName: 'CredentialRefused',
      Dimensions: [{ Name: 'service', Value: 'aios' }],
      Statistic: 'Sum',
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      EvaluationPeriods: 1,
    });
  });
});

describe('Gateway: email through SES', () => {
  const gatewayStatements = (variant: { stack: AiosStack; template: Template }) =>
    statementsOf(variant.template, variant.stack, variant.stack.gateway.function.role);
  const sesStatements = (variant: { stack: AiosStack; template: Template }) =>
    gatewayStatements(variant).filter((s) => actionsOf([s]).some((a) => a.startsWith('ses:')));
  const identityArn = (identity: string) => ({
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':ses:',
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        `:identity/${identity}`,
      ],
    ],
  });
  const environmentOf = (variant: { stack: AiosStack; template: Template }) =>
    variant.template.findResources('AWS::Lambda::Function')[
      logicalIdOf(variant.stack, variant.stack.gateway.function)
    ]?.Properties.Environment.Variables as Record<string, unknown>;

  it('without aios:emailFrom grants no SES permission and sets no EMAIL_FROM', () => {
    expect(sesStatements({ stack, template })).toEqual([]);
    expect(environmentOf({ stack, template })).not.toHaveProperty('EMAIL_FROM');
  });

  it('with aios:emailFrom may call ses:SendEmail on exactly that address identity, and knows the address', () => {
    const variant = synthAios({ context: { 'aios:emailFrom': 'ops@acme.example' } });
    const statements = sesStatements(variant);
    expect(actionsOf(statements)).toEqual(['ses:SendEmail']);
    expect(statements.map((s) => s.Resource)).toEqual([identityArn('ops@acme.example')]);
    expect(environmentOf(variant).EMAIL_FROM).toBe('ops@acme.example');
  });

  it('with aios:emailIdentity grants on the verified domain the address is on', () => {
    const variant = synthAios({
      context: { 'aios:emailFrom': 'ops@mail.acme.example', 'aios:emailIdentity': 'acme.example' },
    });
    expect(sesStatements(variant).map((s) => s.Resource)).toEqual([identityArn('acme.example')]);
  });

  it.each([
    [{ 'aios:emailFrom': 'not-an-address' }, /emailFrom must be an email address/],
    [{ 'aios:emailFrom': 'ops@acme.example', 'aios:emailIdentity': 'other.example' }, /emailIdentity/],
  ])('rejects an invalid email configuration %j', (context, message) => {
    expect(() => synthAios({ context })).toThrow(message);
  });

  it('stays clean under cdk-nag with email configured', () => {
    const variant = synthAios({ context: { 'aios:emailFrom': 'ops@acme.example' } });
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(variant.stack);
    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
  });
});

describe('Gateway: the Slack bot token secret', () => {
  let secretId: string;
  beforeAll(() => {
    secretId = logicalIdOf(stack, stack.gateway.slackBotTokenSecret);
  });

  it('is created with a generated placeholder and no value in the template', () => {
    const properties = resource('AWS::SecretsManager::Secret', secretId);
    expect(properties.GenerateSecretString).toEqual(expect.objectContaining({ PasswordLength: 32 }));
    expect(properties).not.toHaveProperty('SecretString');
    expect(JSON.stringify(template.toJSON())).not.toMatch(/xox[a-z]-[A-Za-z0-9]/);
  });

  it('tells the gateway where it is', () => {
    expect(resource('AWS::Lambda::Function', functionId).Environment).toEqual({
      Variables: expect.objectContaining({ SLACK_BOT_TOKEN_SECRET: { Ref: secretId } }),
    });
  });

  it('can be read by the gateway and the approval functions (they post and update approval messages), and no other role', () => {
    const readers = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
      (policy.Properties.PolicyDocument.Statement as Statement[]).some((s) =>
        JSON.stringify(s.Resource).includes(`"Ref":"${secretId}"`),
      ),
    );
    const gatewayRole = stack.gateway.function.role;
    if (!gatewayRole) throw new Error('the gateway has no role');
    const allowed = [
      gatewayRole,
      ...[
        stack.approvals.requestFunction,
        stack.approvals.escalationFunction,
        stack.approvals.linkFunction,
        stack.approvals.slackFunction,
      ].map((fn) => fn.role),
    ];
    expect(readers.map((policy) => policy.Properties.Roles).sort()).toEqual(
      allowed.map((role) => [{ Ref: logicalIdOf(stack, role as never) }]).sort(),
    );
    const secretStatements = statementsOf(template, stack, stack.gateway.function.role).filter((s) =>
      JSON.stringify(s.Resource).includes(secretId),
    );
    expect(actionsOf(secretStatements).sort()).toEqual([
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
    expect(template.findResources('AWS::SecretsManager::ResourcePolicy')).toEqual({});
  });

  it('acknowledges the rotation finding on the secret alone, saying why', () => {
    const acknowledged = stack.gateway.slackBotTokenSecret.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>));
    expect(acknowledged).toEqual([
      [expect.stringMatching(/AwsSolutions-SMG4$/), expect.stringMatching(/rotated in Slack/)],
    ]);
  });
});

describe('Gateway: http.request credentials', () => {
  it('may read only the secrets under aios/http/, and is told the prefix', () => {
    const secretReads = statementsOf(template, stack, stack.gateway.function.role).filter((s) =>
      JSON.stringify(s.Resource).includes('aios/http/'),
    );
    expect(actionsOf(secretReads)).toEqual(['secretsmanager:GetSecretValue']);
    expect(JSON.stringify(secretReads[0]?.Resource)).toMatch(/:secret:aios\/http\/\*/);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ HTTP_CREDENTIALS_PREFIX: 'aios/http/' }) },
    });
  });
});
