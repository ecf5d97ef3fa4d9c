import { type CfnElement, CustomResource, Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { AiosFunction } from './aios-function.ts';
import { grantItemsWithPrefixes } from './table-access.ts';

/** The registry's items (functions/adapters/aws/dynamodb-playbook-store.ts): all the seed may touch. */
export const REGISTRY_KEYS = ['PLAYBOOK#', 'PLAYBOOKS', 'POLICY'] as const;

export interface RegistrySeedProps {
  readonly stateTable: dynamodb.ITable;
  /** The repository's playbooks/ and operator policy, as read at synth time. */
  readonly playbooks: readonly unknown[];
  readonly policy: unknown;
}

/**
 * Seeds the playbook registry on every deploy with a custom resource (the CDK Provider framework):
 * the playbooks and policy travel as the resource's properties, so they are data of the deploy and
 * no function bundle holds them; the functions read the registry. A changed playbook file changes
 * the properties, so the next deploy pushes it (when its version is above the registry's newest).
 */
export class RegistrySeed extends Construct {
  public readonly function: AiosFunction;
  public readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: RegistrySeedProps) {
    super(scope, id);

    this.function = new AiosFunction(this, 'Seed', {
      entry: 'functions/registry-seed/lambda.ts',
      serviceName: 'registry-seed',
      description: 'aios deploy: seeds the playbook registry with the shipped playbooks and policy',
      timeout: Duration.minutes(2),
      environment: { STATE_TABLE: props.stateTable.tableName },
    });
    grantItemsWithPrefixes(props.stateTable, this.function.function, REGISTRY_KEYS);

    const providerLogs = new logs.LogGroup(this, 'ProviderLogs', { retention: logs.RetentionDays.ONE_MONTH });
    const providerRole = new iam.Role(this, 'ProviderRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Role of the custom resource provider that calls the aios registry seed function',
    });
    providerLogs.grantWrite(providerRole);
    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.function.function,
      logGroup: providerLogs,
      frameworkOnEventRole: providerRole,
    });
    this.resource = new CustomResource(this, 'Registry', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::AiosPlaybookRegistrySeed',
      // CloudFormation passes property values as strings: one JSON text each.
      properties: { Playbooks: JSON.stringify(props.playbooks), Policy: JSON.stringify(props.policy) },
    });

    const seedId = Stack.of(this).getLogicalId(this.function.function.node.defaultChild as CfnElement);
    Validations.of(providerRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${seedId}.Arn>:*]`,
      reason:
        'The CDK Provider framework invokes the seed function by any version or alias of it (lambda:InvokeFunction on its ARN and ARN:*); the wildcard covers only that one function.',
    });
  }
}
