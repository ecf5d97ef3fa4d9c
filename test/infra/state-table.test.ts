import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AiosStack } from '../../lib/cloud/aios-stack.ts';
import { TABLE_DEFINITIONS, TABLE_NAMES } from '../../lib/local/table-definitions.ts';
import { logicalIdOf, synthAios } from './synth.ts';

let stack: AiosStack;
let template: Template;
let stateTable: Record<string, unknown>;
let idempotencyTable: Record<string, unknown>;

beforeAll(() => {
  ({ stack, template } = synthAios());
  const tables = template.findResources('AWS::DynamoDB::Table');
  stateTable = tables[logicalIdOf(stack, stack.state.table)] as Record<string, unknown>;
  idempotencyTable = tables[logicalIdOf(stack, stack.state.idempotencyTable)] as Record<string, unknown>;
});

const props = (resource: Record<string, unknown>) => resource.Properties as Record<string, unknown>;
const sortByName = <T extends { AttributeName?: string }>(items: T[] | undefined) =>
  [...(items ?? [])].sort((a, b) => String(a.AttributeName).localeCompare(String(b.AttributeName)));

describe('StateTable: the single table', () => {
  it('is keyed by string pk/sk and billed per request', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ]),
      BillingMode: 'PAY_PER_REQUEST',
    });
  });

  it('has the gsi1 index on gsi1pk/gsi1sk projecting all attributes', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: [
        {
          IndexName: 'gsi1',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
  });

  it('expires items on the expiresAt attribute', () => {
    expect(props(stateTable).TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
  });

  it('has point-in-time recovery and encryption at rest', () => {
    expect(props(stateTable)).toMatchObject({
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });

  it('is retained when the stack is deleted', () => {
    expect(stateTable).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('has the keys, attributes and index of the local runtime table', () => {
    const local = TABLE_DEFINITIONS[TABLE_NAMES.state];
    const cloud = props(stateTable);
    expect(cloud.KeySchema).toEqual(local.KeySchema);
    expect(sortByName(cloud.AttributeDefinitions as [])).toEqual(sortByName(local.AttributeDefinitions));
    expect(
      (cloud.GlobalSecondaryIndexes as Record<string, unknown>[]).map(
        ({ IndexName, KeySchema, Projection }) => ({
          IndexName,
          KeySchema,
          Projection,
        }),
      ),
    ).toEqual(local.GlobalSecondaryIndexes);
  });
});

describe('StateTable: the idempotency table', () => {
  it('is keyed by the string id Powertools uses and billed per request', () => {
    const local = TABLE_DEFINITIONS[TABLE_NAMES.idempotency];
    expect(props(idempotencyTable)).toMatchObject({
      KeySchema: local.KeySchema,
      AttributeDefinitions: local.AttributeDefinitions,
      BillingMode: 'PAY_PER_REQUEST',
    });
  });

  it('expires records on the expiration attribute', () => {
    expect(props(idempotencyTable).TimeToLiveSpecification).toEqual({
      AttributeName: 'expiration',
      Enabled: true,
    });
  });

  it('has point-in-time recovery', () => {
    expect(props(idempotencyTable).PointInTimeRecoverySpecification).toEqual({
      PointInTimeRecoveryEnabled: true,
    });
  });
});
