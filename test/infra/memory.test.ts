import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AiosStack } from '../../lib/cloud/aios-stack.ts';
import { actionsOf, logicalIdOf, statementsOf, synthAios } from './synth.ts';

let stack: AiosStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthAios());
});

describe('Memory', () => {
  it('keeps the log in its own table with a NEW_IMAGE stream, TTL, PITR and gsi1', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      GlobalSecondaryIndexes: [Match.objectLike({ IndexName: 'gsi1' })],
    });
  });

  it('runs an affordable single-node domain, encrypted at rest and between nodes, HTTPS only', () => {
    template.hasResourceProperties('AWS::OpenSearchService::Domain', {
      ClusterConfig: Match.objectLike({
        InstanceCount: 1,
        InstanceType: 't3.small.search',
        ZoneAwarenessEnabled: false,
      }),
      EncryptionAtRestOptions: { Enabled: true },
      NodeToNodeEncryptionOptions: { Enabled: true },
      DomainEndpointOptions: Match.objectLike({
        EnforceHTTPS: true,
        TLSSecurityPolicy: 'Policy-Min-TLS-1-2-2019-07',
      }),
    });
  });

  it("lets only the indexer, maintenance, planner, API and console roles reach the domain (no fine-grained access, no '*')", () => {
    const domain = Object.values(template.findResources('AWS::OpenSearchService::Domain'))[0];
    expect(domain?.Properties.AdvancedSecurityOptions).toBeUndefined();
    const principals = domain?.Properties.AccessPolicies.Statement[0].Principal.AWS as unknown[];
    const roleOf = (fn: { role?: unknown }) => ({
      'Fn::GetAtt': [logicalIdOf(stack, fn.role as never), 'Arn'],
    });
    expect(principals).toEqual(
      expect.arrayContaining([
        roleOf(stack.memory.indexer),
        roleOf(stack.memory.maintenance),
        roleOf(stack.agents.planner),
        // The API's memory function (and its replays), and the console's memory page: the only
        // operator functions that search memory.
        roleOf(stack.api.functions['api-memory']),
        roleOf(stack.console.functions['console-memory']),
      ]),
    );
    expect(principals).toHaveLength(5);
    expect(principals).not.toContainEqual(roleOf(stack.agents.runRecorder));
  });

  it('feeds the stream to the indexer with partial batch responses and a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalIdOf(stack, stack.memory.indexer) },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
  });

  it('consolidates on an EventBridge schedule', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 3 * * ? *)',
      Targets: [Match.objectLike({ Input: JSON.stringify({ op: 'consolidate' }) })],
    });
  });

  it('gives readers search through the alias only, and embeddings from Titan V2 only', () => {
    const planner = statementsOf(template, stack, stack.agents.planner.role);
    const es = planner.filter((s) => actionsOf([s]).some((a) => a.startsWith('es:')));
    expect(actionsOf(es).sort()).toEqual(['es:ESHttpGet', 'es:ESHttpHead', 'es:ESHttpPost']);
    expect(JSON.stringify(es.map((s) => s.Resource))).toContain('/aios-memory/_search');
    const bedrock = planner.filter((s) => JSON.stringify(s.Resource).includes('titan-embed'));
    expect(JSON.stringify(bedrock)).toContain('foundation-model/amazon.titan-embed-text-v2:0');
    const recorder = statementsOf(template, stack, stack.agents.runRecorder.role);
    expect(actionsOf(recorder).some((a) => a.startsWith('es:'))).toBe(false);
  });

  it('routes POST /memory, GET /memory/search and GET /memory/{id}/history through the API', () => {
    const paths = Object.values(template.findResources('AWS::ApiGateway::Resource')).map(
      (r) => r.Properties.PathPart,
    );
    expect(paths).toEqual(expect.arrayContaining(['memory', 'search', 'history']));
  });
});
