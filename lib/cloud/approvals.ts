import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as ses from 'aws-cdk-lib/aws-ses';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { AiosFunction } from './aios-function.ts';
import { grantItemsWithPrefixes, grantReadAppend } from './table-access.ts';

/** The partition keys the public link and Slack functions may touch (lib/cloud/table-access.ts). */
export const PUBLIC_ENDPOINT_KEYS = ['APPROVAL#', 'LINK#'] as const;

export interface ApprovalsProps {
  readonly stateTable: dynamodb.ITable;
  /** The Slack bot token secret (the gateway's); the approval messages are posted with it. */
  readonly slackBotToken: secretsmanager.ISecret;
  /** Where approval requests are posted in Slack (a channel id or #name); unset: no Slack channel. */
  readonly slackChannel?: string;
  /** From address of the magic-link emails (a verified SES identity); unset: no email channel. */
  readonly emailFrom?: string;
  /** The verified identity the magic links are sent as (the gateway's); required with emailFrom. */
  readonly emailIdentity?: ses.IEmailIdentity;
}

/**
 * Approval gates: the function that opens a request for a paused step (and runs the escalation
 * job every five minutes), the functions behind the public magic-link and Slack routes (the Api
 * construct creates those routes from the route table), and their two secrets.
 * The state machine's "Request approval" state invokes `requestFunction` with a task token.
 */
export class Approvals extends Construct {
  public readonly requestFunction: NodejsFunction;
  /**
   * The scheduled job: escalation, and the recovery sweep (answers settled approvals whose runs
   * never heard, starts QUEUED runs never started). Separate because it answers task tokens and
   * starts executions, and the request function must not (the state machine invokes it: a cycle).
   */
  public readonly escalationFunction: NodejsFunction;
  public readonly linkFunction: NodejsFunction;
  public readonly slackFunction: NodejsFunction;
  public readonly linkKey: secretsmanager.Secret;
  public readonly slackSigningSecret: secretsmanager.Secret;
  public readonly escalationRule: events.Rule;
  /** Fires when the escalation job fails: reminders, expiry and the recovery sweep stop. */
  public readonly escalationErrorsAlarm: cloudwatch.Alarm;
  /** Fires when the escalation job has not run for 15 minutes (it runs every 5). */
  public readonly escalationStalledAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: ApprovalsProps) {
    super(scope, id);
    this.linkKey = new secretsmanager.Secret(this, 'LinkKey', {
      description: 'aios approval magic-link signing key (HMAC-SHA256)',
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
    });
    this.slackSigningSecret = new secretsmanager.Secret(this, 'SlackSigningSecret', {
      description:
        "aios Slack app signing secret: replace the placeholder with the value from the app's Basic Information page",
      generateSecretString: { passwordLength: 32, excludePunctuation: true, includeSpace: false },
    });
    for (const secret of [this.linkKey, this.slackSigningSecret]) {
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'The link key is rotated by putting a new random value (links in flight then fail closed and can be re-sent); the Slack signing secret is issued and regenerated in Slack, not by a rotation Lambda.',
      });
    }

    const common = {
      STATE_TABLE: props.stateTable.tableName,
      LINK_KEY_SECRET: this.linkKey.secretArn,
      SLACK_BOT_TOKEN_SECRET: props.slackBotToken.secretArn,
      ...(props.slackChannel ? { SLACK_APPROVALS_CHANNEL: props.slackChannel } : {}),
      ...(props.emailFrom && props.emailIdentity ? { EMAIL_FROM: props.emailFrom } : {}),
    };
    this.requestFunction = new AiosFunction(this, 'Request', {
      entry: 'functions/approvals/lambda.ts',
      serviceName: 'approvals',
      description: 'aios approvals: opens a request for a paused step; escalates and expires requests',
      timeout: Duration.seconds(30),
      environment: common,
    }).function;
    this.escalationFunction = new AiosFunction(this, 'Escalation', {
      entry: 'functions/approval-escalation/lambda.ts',
      serviceName: 'approval-escalation',
      description:
        'aios approvals: reminders, escalation emails and expiry; answers decided approvals and starts queued runs a crash stranded',
      timeout: Duration.minutes(2),
      environment: common,
    }).function;
    this.linkFunction = new AiosFunction(this, 'Link', {
      entry: 'functions/approval-links/lambda.ts',
      serviceName: 'approval-links',
      description: 'aios approval magic links: GET shows, POST decides',
      timeout: Duration.seconds(10),
      environment: common,
    }).function;
    this.slackFunction = new AiosFunction(this, 'Slack', {
      entry: 'functions/slack-interactions/lambda.ts',
      serviceName: 'slack-interactions',
      description: 'aios Slack interactivity endpoint: signed button clicks and edits',
      // Slack waits 3 s for the answer; the handler keeps to 2.5 s and this stops a stuck one.
      timeout: Duration.seconds(5),
      environment: { ...common, SLACK_SIGNING_SECRET: this.slackSigningSecret.secretArn },
    }).function;

    grantReadAppend(props.stateTable, this.requestFunction);
    grantReadAppend(props.stateTable, this.escalationFunction, {
      appendsAudit:
        'expiry, and the settlements the public endpoints decided and no run resumed to log (recovery)',
    });
    // The public endpoints: approvals and link uses only. What they decide is logged (audit,
    // journal, judgement) by the executor, the run recorder or the recovery sweep (decision-log.ts).
    for (const fn of [this.linkFunction, this.slackFunction])
      grantItemsWithPrefixes(props.stateTable, fn, PUBLIC_ENDPOINT_KEYS);
    for (const fn of [this.requestFunction, this.escalationFunction, this.linkFunction, this.slackFunction])
      props.slackBotToken.grantRead(fn);
    for (const fn of [this.requestFunction, this.escalationFunction, this.linkFunction])
      this.linkKey.grantRead(fn);
    this.slackSigningSecret.grantRead(this.slackFunction);
    if (props.emailFrom && props.emailIdentity) {
      for (const fn of [this.requestFunction, this.escalationFunction])
        props.emailIdentity.grant(fn, 'ses:SendEmail');
    }

    this.escalationRule = new events.Rule(this, 'EscalationSchedule', {
      description:
        'aios approvals: reminders, escalation emails and expiry, and the recovery sweep, every five minutes',
      schedule: events.Schedule.rate(Duration.minutes(5)),
      targets: [
        new targets.LambdaFunction(this.escalationFunction, {
          event: events.RuleTargetInput.fromObject({ op: 'escalate' }),
          retryAttempts: 2,
        }),
      ],
    });

    const fifteenMinutes = { period: Duration.minutes(15), statistic: cloudwatch.Stats.SUM };
    this.escalationErrorsAlarm = new cloudwatch.Alarm(this, 'EscalationErrorsAlarm', {
      alarmDescription:
        'The aios approval escalation job failed: reminders, escalations, expiry and the recovery sweep are not happening (its logs say why).',
      metric: this.escalationFunction.metricErrors(fifteenMinutes),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.escalationStalledAlarm = new cloudwatch.Alarm(this, 'EscalationStalledAlarm', {
      alarmDescription:
        'The aios approval escalation job has not run for 15 minutes (it runs every 5): check its EventBridge rule and the function.',
      metric: this.escalationFunction.metricInvocations(fifteenMinutes),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // No data means no invocation: that is exactly what this alarm is for.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
  }

  /**
   * Once the state machine exists: the deciding functions may answer the paused steps' task
   * tokens, and the recovery sweep may start the executions of runs a crash left QUEUED. The
   * request function may do neither: the state machine invokes it, so that grant would be a cycle.
   */
  public bind(stateMachine: sfn.IStateMachine, publicBaseUrl: string): void {
    for (const fn of [this.escalationFunction, this.linkFunction, this.slackFunction])
      stateMachine.grantTaskResponse(fn);
    stateMachine.grantStartExecution(this.escalationFunction);
    // A QUEUED run whose execution has already ended is failed rather than started every pass.
    // It also reads the history of a RUNNING run to find the token its action waits on, when the
    // action has ended without its answer reaching the run.
    stateMachine.grantExecution(
      this.escalationFunction,
      'states:DescribeExecution',
      'states:GetExecutionHistory',
    );
    const stateMachineLogicalId = Stack.of(this).getLogicalId(
      stateMachine.node.defaultChild as sfn.CfnStateMachine,
    );
    Validations.of(this.escalationFunction.role ?? this.escalationFunction).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${stateMachineLogicalId}"}]}]}:*]`,
      reason:
        'The recovery sweep describes the execution of a run it finds QUEUED, and reads the history of a RUNNING run whose action ended unanswered; executions are named after runs at run time, so the grant covers the executions of this state machine only.',
    });
    this.escalationFunction.addEnvironment('STATE_MACHINE_ARN', stateMachine.stateMachineArn);
    for (const fn of [this.requestFunction, this.escalationFunction])
      fn.addEnvironment('PUBLIC_BASE_URL', publicBaseUrl);
  }
}
