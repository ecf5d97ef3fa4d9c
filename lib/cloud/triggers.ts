import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  SCHEDULE_RETRY,
  scheduleNameOf,
  scheduleTargetInput,
} from '../../functions/adapters/aws/eventbridge-playbook-schedules.ts';
import { webhookSecretName } from '../../functions/adapters/aws/secrets-manager-webhook-secrets.ts';
import type { Workflow } from '../../functions/core/schemas.ts';
import { isScheduled } from '../../functions/core/triggers/schedule-fires.ts';
import { AiosFunction } from './aios-function.ts';
import { deadLetterAlarm } from './dead-letter-alarm.ts';
import { grantReadAppend } from './table-access.ts';

export interface TriggersProps {
  readonly stateTable: dynamodb.ITable;
  readonly stateMachine: sfn.IStateMachine;
  /** The playbooks deployed: one schedule per scheduled one, one hook secret per webhook one. */
  readonly workflows: readonly Workflow[];
  /** What `${AIOS_API_URL}` in a schedule's input stands for: the API's base URL. */
  readonly apiUrl: string;
  /** Secrets Manager names start with this (`<prefix>/hooks/<playbook>`); the stack name by default. */
  readonly secretPrefix?: string;
}

export { SCHEDULE_RETRY };

/**
 * What starts runs by itself: one EventBridge Scheduler schedule per scheduled playbook (its
 * expression and time zone, a retry policy, a dead-letter queue), all targeting one function that
 * records the fire and starts its run, through a role that may invoke that function and nothing
 * else; and one generated signing secret per webhook playbook. Pausing is a flag in the state
 * table the function reads, so it needs no deploy; the schedules themselves stay enabled.
 */
export class Triggers extends Construct {
  public readonly scheduleFunction: NodejsFunction;
  /** Deliveries the scheduler could not make, and invocations the function failed after its retries. */
  public readonly deadLetterQueue: sqs.Queue;
  public readonly deadLetterAlarm: cloudwatch.Alarm;
  /** The role EventBridge Scheduler assumes to invoke the function. */
  public readonly schedulerRole: iam.Role;
  public readonly schedules: Record<string, scheduler.CfnSchedule> = {};
  /**
   * Every playbook schedule lives in this group, named after its playbook: the deploy makes the
   * shipped ones, a push (the API) creates, changes or deletes them, and may touch no other schedule.
   */
  public readonly scheduleGroup: scheduler.CfnScheduleGroup;
  public readonly hookSecrets: Record<string, secretsmanager.Secret> = {};
  public readonly secretPrefix: string;

  constructor(scope: Construct, id: string, props: TriggersProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.secretPrefix = props.secretPrefix ?? stack.stackName;

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is the dead-letter queue of the schedules and of the schedule function's asynchronous invocations; a DLQ has no DLQ of its own.",
    });

    this.scheduleFunction = new AiosFunction(this, 'ScheduleStart', {
      entry: 'functions/schedules/lambda.ts',
      serviceName: 'schedules',
      description:
        'aios schedules: records a playbook schedule fire and starts its run, once per scheduled time',
      timeout: Duration.seconds(30),
      environment: {
        STATE_TABLE: props.stateTable.tableName,
        STATE_MACHINE_ARN: props.stateMachine.stateMachineArn,
        AIOS_API_URL: props.apiUrl,
      },
    }).function;
    // Read, put and update; no deletes (least privilege on the state table, as every function).
    grantReadAppend(props.stateTable, this.scheduleFunction);
    props.stateMachine.grantStartExecution(this.scheduleFunction);
    // A repeated delivery checks whether the fire's run still needs its execution started.
    props.stateMachine.grantExecution(this.scheduleFunction, 'states:DescribeExecution');
    const stateMachineLogicalId = stack.getLogicalId(
      props.stateMachine.node.defaultChild as sfn.CfnStateMachine,
    );
    Validations.of(this.scheduleFunction.role ?? this.scheduleFunction).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${stateMachineLogicalId}"}]}]}:*]`,
      reason:
        "A repeated schedule delivery describes its run's execution; executions are named after runs at run time, so the grant covers the executions of this state machine only.",
    });
    // The scheduler invokes asynchronously: Lambda's own retries, then this DLQ, catch a failed fire.
    this.scheduleFunction.configureAsyncInvoke({
      retryAttempts: 2,
      onFailure: new destinations.SqsDestination(this.deadLetterQueue),
    });

    this.schedulerRole = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'EventBridge Scheduler: invokes the aios schedule function, nothing else',
    });
    // The function itself, not `grantInvoke`'s `<arn>:*` too: the schedules invoke no version or alias.
    this.schedulerRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [this.scheduleFunction.functionArn],
      }),
    );
    this.deadLetterQueue.grantSendMessages(this.schedulerRole);

    this.scheduleGroup = new scheduler.CfnScheduleGroup(this, 'PlaybookSchedules', {
      name: `${stack.stackName}-playbooks`,
    });
    for (const workflow of props.workflows.filter(isScheduled)) {
      this.schedules[workflow.name] = new scheduler.CfnSchedule(this, `Schedule-${workflow.name}`, {
        name: scheduleNameOf(workflow.name),
        groupName: this.scheduleGroup.ref,
        description: `aios playbook ${workflow.name} v${workflow.version}: ${workflow.trigger.expression} (${workflow.trigger.timezone})`,
        scheduleExpression: workflow.trigger.expression,
        scheduleExpressionTimezone: workflow.trigger.timezone,
        flexibleTimeWindow: { mode: 'OFF' },
        state: 'ENABLED',
        target: {
          arn: this.scheduleFunction.functionArn,
          roleArn: this.schedulerRole.roleArn,
          // The scheduled time, not the delivery's: the same on every retry, so the run id is too.
          input: scheduleTargetInput(workflow.name),
          retryPolicy: SCHEDULE_RETRY,
          deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
        },
      });
    }

    for (const workflow of props.workflows.filter((w) => w.trigger.type === 'webhook')) {
      const secret = new secretsmanager.Secret(this, `HookSecret-${workflow.name}`, {
        secretName: webhookSecretName(this.secretPrefix, workflow.name),
        description: `aios webhook signing secret of playbook ${workflow.name} (HMAC-SHA256, t=...,v1=... header)`,
        generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'A webhook secret is shared with the sender: it is rotated by putting a new value and giving it to the sender, which may sign with both meanwhile (two v1 signatures are accepted).',
      });
      this.hookSecrets[workflow.name] = secret;
    }

    this.deadLetterAlarm = deadLetterAlarm(
      this,
      this.deadLetterQueue,
      'A playbook schedule fire could not be delivered or failed after its retries: its run did not start (the message names the playbook and time).',
    );
  }

  /**
   * The function that takes playbook pushes (the API) keeps their schedules: it may get, create,
   * update and delete schedules in the playbook group only, and pass the scheduler role to
   * EventBridge Scheduler only.
   */
  public grantScheduleSync(fn: NodejsFunction): void {
    const stack = Stack.of(this);
    const inGroup = stack.formatArn({
      service: 'scheduler',
      resource: 'schedule',
      resourceName: `${this.scheduleGroup.ref}/*`,
    });
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'scheduler:GetSchedule',
          'scheduler:CreateSchedule',
          'scheduler:UpdateSchedule',
          'scheduler:DeleteSchedule',
        ],
        resources: [inGroup],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.schedulerRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    );
    Validations.of(fn.role ?? fn).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/<${stack.getLogicalId(this.scheduleGroup)}>/*]`,
      reason:
        "A push creates, changes or deletes the schedule named after the pushed playbook, so the names are known only at run time; the grant covers this stack's playbook schedule group only.",
    });
    fn.addEnvironment('SCHEDULE_GROUP', this.scheduleGroup.ref);
    fn.addEnvironment('SCHEDULE_TARGET_ARN', this.scheduleFunction.functionArn);
    fn.addEnvironment('SCHEDULER_ROLE_ARN', this.schedulerRole.roleArn);
    fn.addEnvironment('SCHEDULE_DLQ_ARN', this.deadLetterQueue.queueArn);
  }

  /** The function that serves `POST /hooks/{playbook}` may read every hook secret, and only those. */
  public grantHookSecrets(fn: NodejsFunction): void {
    for (const secret of Object.values(this.hookSecrets)) secret.grantRead(fn);
    fn.addEnvironment('HOOK_SECRET_PREFIX', this.secretPrefix);
  }
}
