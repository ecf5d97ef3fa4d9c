import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Annotations, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/** The run workflow; the local runtime interprets the very same file. */
export const RUN_DEFINITION_PATH = fileURLToPath(
  new URL('../../statemachines/run.asl.json', import.meta.url),
);

export interface OrchestratorProps {
  readonly planner: lambda.IFunction;
  readonly executor: lambda.IFunction;
  readonly monitor: lambda.IFunction;
  readonly runRecorder: lambda.IFunction;
  /** Opens an approval request for a paused step ("Request approval", with a task token). */
  readonly approvals: lambda.IFunction;
  readonly actionQueue: sqs.IQueue;
  /** Absolute path of the ASL file; defaults to `statemachines/run.asl.json`. */
  readonly definitionPath?: string;
}

/** Every `${Name}` placeholder in an ASL document, in order of first appearance. */
export function aslPlaceholders(definition: string): string[] {
  return [...new Set([...definition.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1] as string))];
}

/**
 * The orchestrator: a Standard state machine built from the ASL file, with every `${...}`
 * placeholder filled. It may invoke the four agents and send to the action queue, nothing more.
 */
export class Orchestrator extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly logGroup: logs.LogGroup;
  /** Fires when a run fails, whether an agent broke or the policy denied a step. */
  public readonly failedExecutionsAlarm: cloudwatch.Alarm;
  /** Tells the run recorder about executions that ended without passing through "Record failure". */
  public readonly executionEndedRule: events.Rule;

  constructor(scope: Construct, id: string, props: OrchestratorProps) {
    super(scope, id);
    const definitionPath = props.definitionPath ?? RUN_DEFINITION_PATH;

    const substitutions: Record<string, string> = {
      PlannerFunctionArn: props.planner.functionArn,
      ExecutorFunctionArn: props.executor.functionArn,
      MonitorFunctionArn: props.monitor.functionArn,
      RunRecorderFunctionArn: props.runRecorder.functionArn,
      ApprovalFunctionArn: props.approvals.functionArn,
      ActionQueueUrl: props.actionQueue.queueUrl,
    };
    // A placeholder left unfilled would deploy as a literal "${Name}" and fail only at run time.
    const placeholders = aslPlaceholders(readFileSync(definitionPath, 'utf8'));
    const missing = placeholders.filter((name) => !(name in substitutions));
    if (missing.length > 0) {
      throw new Error(
        `${definitionPath} uses placeholders the Orchestrator does not fill: ${missing.join(', ')}. ` +
          'Add them to definitionSubstitutions in lib/cloud/orchestrator.ts, with the grants they need.',
      );
    }
    const unused = Object.keys(substitutions).filter((name) => !placeholders.includes(name));
    if (unused.length > 0) {
      Annotations.of(this).addWarningV2(
        'aios:unused-substitution',
        `${definitionPath} no longer uses ${unused.join(', ')}; drop the substitution and its grant.`,
      );
    }

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      // The vended-logs prefix keeps CloudWatch's resource policy small as log groups multiply.
      logGroupName: `/aws/vendedlogs/states/${Stack.of(this).stackName}-run`,
      retention: logs.RetentionDays.THREE_MONTHS,
    });

    this.stateMachine = new sfn.StateMachine(this, 'RunStateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromFile(definitionPath),
      definitionSubstitutions: substitutions,
      tracingEnabled: true,
      // Execution data holds customer payloads; the run journal in DynamoDB is the record of those.
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });

    // Only the unqualified function (and $LATEST), which is what the ASL invokes: no `:*` wildcard.
    for (const agent of [props.planner, props.executor, props.monitor, props.runRecorder, props.approvals]) {
      agent.grantInvokeLatestVersion(this.stateMachine);
    }
    props.actionQueue.grantSendMessages(this.stateMachine);

    Validations.of(this.stateMachine.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Step Functions logging to CloudWatch Logs (logs:*LogDelivery, PutResourcePolicy, DescribeResourcePolicies, DescribeLogGroups) and X-Ray tracing (xray:PutTraceSegments, PutTelemetryRecords, GetSampling*) support no resource-level permissions; AWS requires Resource "*".',
    });

    // A stopped or timed-out execution, or an orchestrator error no Catch covers, would otherwise
    // leave its run looking alive forever. The recorder ignores runs that already ended.
    this.executionEndedRule = new events.Rule(this, 'ExecutionEndedRule', {
      description: 'Marks the aios run FAILED when its execution ends FAILED, TIMED_OUT or ABORTED',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
          stateMachineArn: [this.stateMachine.stateMachineArn],
        },
      },
      targets: [
        new targets.LambdaFunction(props.runRecorder, {
          event: events.RuleTargetInput.fromObject({
            op: 'execution-ended',
            runId: events.EventField.fromPath('$.detail.name'),
            status: events.EventField.fromPath('$.detail.status'),
            error: events.EventField.fromPath('$.detail.error'),
            cause: events.EventField.fromPath('$.detail.cause'),
          }),
          retryAttempts: 8,
          maxEventAge: Duration.hours(6),
        }),
      ],
    });

    this.failedExecutionsAlarm = new cloudwatch.Alarm(this, 'FailedExecutionsAlarm', {
      alarmDescription:
        'An aios run failed; its human-readable failure account is on the run record (aios show <runId>).',
      metric: this.stateMachine.metricFailed({
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
