import { ArnFormat, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { AiosFunction } from './aios-function.ts';
import { deadLetterAlarm } from './dead-letter-alarm.ts';
import { grantReadAppend } from './table-access.ts';

/** Where the operator keeps http.request credentials in Secrets Manager (one secret per name). */
export const HTTP_CREDENTIALS_PREFIX = 'aios/http/';

export interface GatewayProps {
  readonly stateTable: dynamodb.ITable;
  readonly idempotencyTable: dynamodb.ITable;
  /**
   * The From address of `email.send`, on a verified SES identity. Without it the gateway has no
   * SES permission and `email.send` is not available.
   */
  readonly emailFrom?: string;
  /**
   * The verified SES identity `emailFrom` sends under: the address itself (the default) or its
   * domain (or a parent domain). The gateway may send as exactly this identity.
   */
  readonly emailIdentity?: string;
}

const EMAIL_ADDRESS = /^[^\s@<>,;]+@([^\s@<>,;]+\.[^\s@<>,;]+)$/;

/** The SES identity to grant on, checked against the From address so a typo fails the synth. */
function sesIdentityFor(emailFrom: string, emailIdentity: string | undefined): string {
  if (Token.isUnresolved(emailFrom)) return emailIdentity ?? emailFrom;
  const domain = EMAIL_ADDRESS.exec(emailFrom)?.[1]?.toLowerCase();
  if (!domain)
    throw new Error(`emailFrom must be an email address on a verified SES identity, got "${emailFrom}"`);
  const identity = emailIdentity ?? emailFrom;
  if (Token.isUnresolved(identity)) return identity;
  const id = identity.toLowerCase();
  if (id !== emailFrom.toLowerCase() && id !== domain && !domain.endsWith(`.${id}`)) {
    throw new Error(
      `emailIdentity "${identity}" must be emailFrom itself or the domain it is on (${domain}), so SES lets the gateway send as ${emailFrom}`,
    );
  }
  return identity;
}

/** How long one gateway invocation may run: one batch of connector calls. */
const GATEWAY_TIMEOUT = Duration.seconds(60);
/** A message that failed this many deliveries goes to the dead-letter queue. */
export const MAX_RECEIVE_COUNT = 5;

/**
 * The action gateway: the orchestrator sends each action (with its task token) to an encrypted
 * SQS queue; the gateway function executes it at most once per idempotency key and answers the
 * state machine. Poison messages land in a dead-letter queue that raises an alarm.
 *
 * The task-response grant on the state machine is made by the stack once both exist: the state
 * machine needs this queue's URL, so the gateway cannot take the state machine as a prop.
 */
export class Gateway extends Construct {
  public readonly queue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly function: NodejsFunction;
  /** Fires as soon as one action is dead-lettered: an effect whose outcome needs the operator. */
  public readonly deadLetterAlarm: cloudwatch.Alarm;
  /** Fires when a gateway invocation fails as a whole (not one action's failure, which is reported per record). */
  public readonly errorsAlarm: cloudwatch.Alarm;
  /** Fires when Lambda throttles the gateway: actions wait in the queue and runs stall. */
  public readonly throttlesAlarm: cloudwatch.Alarm;
  /** Fires when a dead letter has waited a day: the first alarm was not acted on. */
  public readonly deadLetterAgeAlarm: cloudwatch.Alarm;
  /** Fires when http.request refused to send a credential to a host it is not bound to. */
  public readonly credentialRefusedAlarm: cloudwatch.Alarm;
  /**
   * The Slack bot token `slack.post` uses. Created with a random placeholder, never a value in
   * the template: the operator puts the bot token (xoxb-...) in it after the first deploy.
   */
  public readonly slackBotTokenSecret: secretsmanager.Secret;
  /** The verified SES identity email is sent as, when email is configured; other senders are granted on it too. */
  public readonly emailIdentity?: ses.IEmailIdentity;

  constructor(scope: Construct, id: string, props: GatewayProps) {
    super(scope, id);

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'ActionQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS's guidance for Lambda event sources: at least six times the function timeout, so a
      // message is not redelivered while a throttled or retried invocation still holds it.
      visibilityTimeout: Duration.seconds(GATEWAY_TIMEOUT.toSeconds() * 6),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });

    const emailIdentity = props.emailFrom ? sesIdentityFor(props.emailFrom, props.emailIdentity) : undefined;

    this.slackBotTokenSecret = new secretsmanager.Secret(this, 'SlackBotToken', {
      description:
        'aios: the Slack bot token (xoxb-...) the gateway posts with. Created with a random placeholder: replace it with put-secret-value.',
      generateSecretString: { passwordLength: 32, excludePunctuation: true },
    });
    Validations.of(this.slackBotTokenSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'A Slack bot token is issued and rotated in Slack (app settings, token rotation), not by a rotation Lambda; the operator puts each new token in this secret and the gateway re-reads it within 5 minutes.',
    });

    const gateway = new AiosFunction(this, 'Gateway', {
      entry: 'functions/gateway/lambda.ts',
      serviceName: 'gateway',
      description: 'aios action gateway: executes each queued action once and answers the orchestrator',
      timeout: GATEWAY_TIMEOUT,
      memorySize: 512,
      environment: {
        STATE_TABLE: props.stateTable.tableName,
        IDEMPOTENCY_TABLE: props.idempotencyTable.tableName,
        SLACK_BOT_TOKEN_SECRET: this.slackBotTokenSecret.secretArn,
        ...(props.emailFrom ? { EMAIL_FROM: props.emailFrom } : {}),
      },
    });
    this.function = gateway.function;
    grantReadAppend(props.stateTable, this.function, {
      appendsAudit: 'every side effect it runs, or refuses',
    });
    props.idempotencyTable.grantReadWriteData(this.function);
    this.slackBotTokenSecret.grantRead(this.function);
    // http.request credentials: secrets the operator creates under aios/http/ (read through Powertools).
    const stack = Stack.of(this);
    this.function.addEnvironment('HTTP_CREDENTIALS_PREFIX', HTTP_CREDENTIALS_PREFIX);
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [
          stack.formatArn({
            service: 'secretsmanager',
            resource: 'secret',
            resourceName: `${HTTP_CREDENTIALS_PREFIX}*`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    Validations.of(this.function.role ?? this.function).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${HTTP_CREDENTIALS_PREFIX}*]`,
      reason:
        'http.request names its credential at run time (the operator adds secrets under aios/http/ without a redeploy); the grant is read-only and limited to that prefix, and Secrets Manager appends a random suffix to every secret ARN.',
    });
    if (emailIdentity) {
      // ses:SendEmail only (SES v2 SendEmail with Simple content), on exactly this identity.
      this.emailIdentity = ses.EmailIdentity.fromEmailIdentityName(this, 'EmailIdentity', emailIdentity);
      this.emailIdentity.grant(this.function, 'ses:SendEmail');
    }

    this.function.addEventSource(
      new SqsEventSource(this.queue, {
        // Small batches, no batching window: a run waits on each action (the orchestrator maps
        // its steps one at a time), so latency matters more than invocations, and a batch of 5
        // slow connector calls still fits the timeout. Failed records are reported one by one.
        batchSize: 5,
        reportBatchItemFailures: true,
        // A one-person company's connectors (mail, invoicing, CRM) have modest rate limits, and
        // the account's Lambda concurrency is shared with the API and the agents: at most 5
        // gateway instances poll at once; the rest wait in the queue rather than being throttled.
        maxConcurrency: 5,
      }),
    );

    this.deadLetterAlarm = deadLetterAlarm(
      this,
      this.deadLetterQueue,
      'An aios action was dead-lettered after repeated failures: its outcome is unknown and needs the operator.',
    );

    const perFiveMinutes = { period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM };
    this.errorsAlarm = new cloudwatch.Alarm(this, 'ErrorsAlarm', {
      alarmDescription:
        'The aios gateway failed whole invocations: its actions are retried from the queue, but something is wrong with the function itself (its logs say what).',
      metric: this.function.metricErrors(perFiveMinutes),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.throttlesAlarm = new cloudwatch.Alarm(this, 'ThrottlesAlarm', {
      alarmDescription:
        "Lambda throttled the aios gateway: actions wait in the queue and runs stall; the account's concurrency is used up elsewhere.",
      metric: this.function.metricThrottles(perFiveMinutes),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.deadLetterAgeAlarm = new cloudwatch.Alarm(this, 'DeadLetterAgeAlarm', {
      alarmDescription:
        'An aios dead letter has waited a day without being looked at (aios dlq list; aios dlq redrive once the cause is fixed). Dead letters are kept 14 days.',
      metric: this.deadLetterQueue.metricApproximateAgeOfOldestMessage({
        period: Duration.minutes(5),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: Duration.days(1).toSeconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    // The metric the http.request connector emits through Powertools (namespace aios, service aios).
    this.credentialRefusedAlarm = new cloudwatch.Alarm(this, 'CredentialRefusedAlarm', {
      alarmDescription:
        'http.request refused to send a stored credential to a host it is not bound to: a plan aimed it elsewhere (aios audit <runId> has the reason).',
      metric: new cloudwatch.Metric({
        namespace: 'aios',
        metricName: 'CredentialRefused',
        dimensionsMap: { service: 'aios' },
        period: Duration.minutes(5),
        statistic: cloudwatch.Stats.SUM,
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}
