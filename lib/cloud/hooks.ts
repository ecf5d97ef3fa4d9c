import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { AiosFunction } from './aios-function.ts';
import { grantReadAppend } from './table-access.ts';

export interface HooksProps {
  readonly stateTable: dynamodb.ITable;
  readonly stateMachine: sfn.IStateMachine;
}

/**
 * The function behind `POST /hooks/{playbook}`: public at the gateway, it checks each event's
 * signature with the playbook's hook secret (granted by the Triggers construct) and starts one run
 * per event id. Its own function, so the operator's API never holds the hook secrets.
 */
export class Hooks extends Construct {
  public readonly function: NodejsFunction;

  constructor(scope: Construct, id: string, props: HooksProps) {
    super(scope, id);
    this.function = new AiosFunction(this, 'Handler', {
      entry: 'functions/hooks/lambda.ts',
      serviceName: 'hooks',
      description: 'aios webhooks: a signed event starts one run of its playbook',
      timeout: Duration.seconds(29),
      environment: {
        STATE_TABLE: props.stateTable.tableName,
        STATE_MACHINE_ARN: props.stateMachine.stateMachineArn,
      },
    }).function;
    grantReadAppend(props.stateTable, this.function);
    props.stateMachine.grantStartExecution(this.function);
    // A repeated event checks whether its run's execution already started.
    props.stateMachine.grantExecution(this.function, 'states:DescribeExecution');
    const stateMachineLogicalId = Stack.of(this).getLogicalId(
      props.stateMachine.node.defaultChild as sfn.CfnStateMachine,
    );
    Validations.of(this.function.role ?? this.function).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${stateMachineLogicalId}"}]}]}:*]`,
      reason:
        "A repeated webhook event describes its run's execution; executions are named after runs at run time, so the grant covers the executions of this state machine only.",
    });
  }
}
