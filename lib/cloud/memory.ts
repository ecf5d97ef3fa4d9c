import { Duration, Lazy, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { AiosFunction } from './aios-function.ts';

/** Titan Text Embeddings V2; its dimension is one of 256, 512, 1024. */
export const DEFAULT_EMBEDDING_MODEL = 'amazon.titan-embed-text-v2:0';
const INDEX_ALIAS = 'aios-memory';

export interface MemoryProps {
  /** The fast-tier model consolidation summarises with (a Bedrock foundation model id). */
  readonly summaryModelId: string;
  /** OpenSearch domain name, one per account and region. */
  readonly domainName?: string;
  /** Default t3.small.search: the smallest data node, about the cost of a small database. */
  readonly instanceType?: string;
  readonly volumeSizeGiB?: number;
  readonly embeddingDimensions?: 256 | 512 | 1024;
  /** When consolidation runs; default 03:00 UTC every day. */
  readonly consolidationSchedule?: events.Schedule;
}

/**
 * The memory cascade on AWS: the memory table (the write-ahead log, with a NEW_IMAGE stream), the
 * indexer that embeds every change into an OpenSearch k-NN index behind an alias, and the
 * maintenance function that consolidates on a schedule and reindexes on demand. The domain's
 * access policy names each role that may reach it and nothing else; `grantSearch`/`grantWrite`
 * give a function what it needs.
 */
export class Memory extends Construct {
  public readonly table: dynamodb.Table;
  public readonly domain: opensearch.Domain;
  public readonly indexer: NodejsFunction;
  public readonly maintenance: NodejsFunction;
  /** Stream records the indexer gave up on, after retries and bisecting the batch. */
  public readonly indexerDeadLetterQueue: sqs.Queue;
  public readonly consolidationRule: events.Rule;
  private readonly domainPrincipals: iam.IRole[] = [];
  private readonly environment: Record<string, string>;

  constructor(scope: Construct, id: string, props: MemoryProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const domainName = props.domainName ?? 'aios-memory';

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiresAt',
      stream: dynamodb.StreamViewType.NEW_IMAGE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // The log is the memory; the index can always be rebuilt from it, never the other way round.
      removalPolicy: RemovalPolicy.RETAIN,
      deletionProtection: true,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: 'gsi1',
      partitionKey: { name: 'gsi1pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'gsi1sk', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });

    this.domain = new opensearch.Domain(this, 'Domain', {
      domainName,
      version: opensearch.EngineVersion.OPENSEARCH_2_19,
      capacity: {
        dataNodes: 1,
        dataNodeInstanceType: props.instanceType ?? 't3.small.search',
        multiAzWithStandbyEnabled: false,
      },
      ebs: { volumeSize: props.volumeSizeGiB ?? 10, volumeType: ec2.EbsDeviceVolumeType.GP3 },
      zoneAwareness: { enabled: false },
      encryptionAtRest: { enabled: true },
      nodeToNodeEncryption: true,
      enforceHttps: true,
      tlsSecurityPolicy: opensearch.TLSSecurityPolicy.TLS_1_2,
      // Derived data: a reindex rebuilds it from the log.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // The access policy goes on the domain itself (no custom resource): only the roles granted
    // below, IAM-signed, on this domain's paths. Rendered at synth, once every grant is made.
    const cfnDomain = this.domain.node.defaultChild as opensearch.CfnDomain;
    const domainPaths = stack.formatArn({
      service: 'es',
      resource: 'domain',
      resourceName: `${domainName}/*`,
    });
    cfnDomain.accessPolicies = Lazy.any({
      produce: () => ({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: this.domainPrincipals.map((role) => role.roleArn) },
            Action: ['es:ESHttpGet', 'es:ESHttpHead', 'es:ESHttpPost', 'es:ESHttpPut', 'es:ESHttpDelete'],
            Resource: domainPaths,
          },
        ],
      }),
    });

    this.environment = {
      MEMORY_TABLE: this.table.tableName,
      MEMORY_ENDPOINT: this.domain.domainEndpoint,
      EMBEDDING_MODEL_ID: DEFAULT_EMBEDDING_MODEL,
      EMBEDDING_DIMENSIONS: String(props.embeddingDimensions ?? 1024),
    };

    const indexer = new AiosFunction(this, 'Indexer', {
      entry: 'functions/memory-indexer/lambda.ts',
      serviceName: 'memory-indexer',
      description: 'aios memory indexer: embeds each memory log change into the OpenSearch index',
      timeout: Duration.minutes(2),
      memorySize: 512,
      environment: this.environment,
    });
    this.indexer = indexer.function;
    this.indexerDeadLetterQueue = new sqs.Queue(this, 'IndexerDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.indexer.addEventSource(
      new DynamoEventSource(this.table, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: 25,
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        retryAttempts: 10,
        onFailure: new SqsDlq(this.indexerDeadLetterQueue),
      }),
    );
    this.table.grantReadData(this.indexer);
    this.grantDomain(indexer.role, true);

    const maintenance = new AiosFunction(this, 'Maintenance', {
      entry: 'functions/memory-maintenance/lambda.ts',
      serviceName: 'memory-maintenance',
      description: 'aios memory maintenance: scheduled consolidation, reindex on demand',
      timeout: Duration.minutes(15),
      memorySize: 1024,
      environment: { ...this.environment, MODEL_FAST_ID: props.summaryModelId },
    });
    this.maintenance = maintenance.function;
    this.table.grantReadWriteData(this.maintenance);
    this.grantDomain(maintenance.role, true);
    this.grantSummaryModel(maintenance.role, props.summaryModelId);

    this.consolidationRule = new events.Rule(this, 'ConsolidationSchedule', {
      description: 'Consolidates aios working memory into long-term memory',
      schedule: props.consolidationSchedule ?? events.Schedule.cron({ minute: '0', hour: '3' }),
      targets: [
        new targets.LambdaFunction(this.maintenance, {
          event: events.RuleTargetInput.fromObject({ op: 'consolidate' }),
          retryAttempts: 2,
        }),
      ],
    });

    Validations.of(this.domain).acknowledge(
      {
        id: 'AwsSolutions-OS1',
        reason:
          'A VPC domain would need the Lambda functions in a VPC with NAT or interface endpoints (a fixed monthly cost larger than the domain); access is instead limited by an IAM access policy naming each role, SigV4 on every request, HTTPS only.',
      },
      {
        id: 'AwsSolutions-OS3',
        reason:
          'Access is granted to named IAM roles with signed requests, which is stronger than an IP allow list for Lambda callers whose addresses are not fixed.',
      },
      {
        id: 'AwsSolutions-OS4',
        reason:
          'One data node holds a derived index of a one-person company; dedicated master nodes would triple the cost and the index is rebuilt from the log (aios memory reindex) if the node is replaced.',
      },
      {
        id: 'AwsSolutions-OS7',
        reason:
          'Zone awareness needs two or more nodes; the index is derived from the DynamoDB log (itself multi-AZ, with PITR), so a node loss costs a reindex, not data.',
      },
      ...['SEARCH_SLOW_LOGS', 'INDEX_SLOW_LOGS'].map((log) => ({
        id: `AwsSolutions-OS9[LogExport::${log}]`,
        reason:
          "Slow logs to CloudWatch need a log-group resource policy created by a custom resource; the indexer's and API's own logs and metrics record every memory request and its latency.",
      })),
    );
    Validations.of(this.indexerDeadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is itself the dead-letter destination of the indexer's stream mapping; a dead-letter queue for it would only move the same records one step further.",
    });
    this.acknowledgeIndexWildcard(indexer.role);
    this.acknowledgeIndexWildcard(maintenance.role);
  }

  /** The function may search memory (query embeddings, k-NN through the alias) and write to the log. */
  grantSearch(fn: NodejsFunction): void {
    this.grantWrite(fn);
    const role = fn.role as iam.IRole;
    this.grantDomain(role, false);
  }

  /** The function may write memory items to the log (the indexer does the rest) and read their history. */
  grantWrite(fn: NodejsFunction): void {
    for (const [name, value] of Object.entries(this.environment)) fn.addEnvironment(name, value);
    this.table.grantReadWriteData(fn);
    if (fn.role) this.acknowledgeIndexWildcard(fn.role);
  }

  /**
   * bedrock:InvokeModel on the summary model: a foundation model in this region, or an inference
   * profile plus its model in any region, only when called through that profile.
   */
  private grantSummaryModel(role: iam.IRole, modelId: string): void {
    const stack = Stack.of(this);
    const profile = /^(global|us-gov|us|eu|apac|jp|au|ca)\.(.+)$/.exec(modelId);
    if (!profile) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['bedrock:InvokeModel'],
          resources: [`arn:${stack.partition}:bedrock:${stack.region}::foundation-model/${modelId}`],
        }),
      );
      return;
    }
    const profileArn = `arn:${stack.partition}:bedrock:${stack.region}:${stack.account}:inference-profile/${modelId}`;
    const routed = `arn:${stack.partition}:bedrock:*::foundation-model/${profile[2]}`;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['bedrock:InvokeModel'], resources: [profileArn] }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['bedrock:InvokeModel'],
        resources: [routed],
        conditions: { StringEquals: { 'bedrock:InferenceProfileArn': profileArn } },
      }),
    );
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${routed.replace(`arn:${stack.partition}:`, 'arn:<AWS::Partition>:')}]`,
      reason:
        'A cross-region inference profile serves its model from any region of its geography; the region wildcard names this one model and, by condition, only calls made through the configured profile.',
    });
  }

  private grantDomain(role: iam.IRole, write: boolean): void {
    this.domainPrincipals.push(role);
    const stack = Stack.of(this);
    const domainArn = this.domain.domainArn;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: write
          ? ['es:ESHttpGet', 'es:ESHttpHead', 'es:ESHttpPost', 'es:ESHttpPut', 'es:ESHttpDelete']
          : ['es:ESHttpGet', 'es:ESHttpHead', 'es:ESHttpPost'],
        // Writers manage versions, template and alias; readers search through the alias only.
        resources: write
          ? [`${domainArn}/*`]
          : [`${domainArn}/${INDEX_ALIAS}/_search`, `${domainArn}/_alias/${INDEX_ALIAS}`],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['bedrock:InvokeModel'],
        resources: [
          stack.formatArn({
            service: 'bedrock',
            account: '',
            resource: 'foundation-model',
            resourceName: DEFAULT_EMBEDDING_MODEL,
          }),
        ],
      }),
    );
    if (write) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(this.domain.node.defaultChild as opensearch.CfnDomain)}.Arn>/*]`,
        reason:
          'The indexer and maintenance functions create index versions (aios-memory-v*), put the index template, switch the alias and write in bulk: paths of this one domain only.',
      });
    }
  }

  private acknowledgeIndexWildcard(role: iam.IRole): void {
    const tableLogicalId = Stack.of(this).getLogicalId(this.table.node.defaultChild as dynamodb.CfnTable);
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${tableLogicalId}.Arn>/index/*]`,
      reason:
        'Reading the memory log in write order goes through its GSI; the wildcard covers only the indexes of the memory table.',
    });
  }
}
