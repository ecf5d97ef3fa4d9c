import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { AiosFunction } from './aios-function.ts';
import { grantReadAppend } from './table-access.ts';

/**
 * Defaults for the model tiers: Claude Haiku 4.5 (fast) and Claude Sonnet 4.5 (slow) through
 * Bedrock's global cross-region inference profiles, which serve them in every commercial region.
 * Override with `-c aios:modelFast=... -c aios:modelSlow=...` (a model id or any inference profile id).
 */
export const DEFAULT_MODELS = {
  fast: 'global.anthropic.claude-haiku-4-5-20251001-v1:0',
  slow: 'global.anthropic.claude-sonnet-4-5-20250929-v1:0',
} as const;

/** Geographic and global cross-region inference profile ids start with one of these. */
const INFERENCE_PROFILE_PREFIX = /^(global|us-gov|us|eu|apac|jp|au|ca)\.(.+)$/;

export interface AgentsProps {
  readonly stateTable: dynamodb.ITable;
  /** Bedrock model id or inference profile id of the fast (cheap) tier. */
  readonly modelFastId?: string;
  /** Bedrock model id or inference profile id of the slow (capable) tier. */
  readonly modelSlowId?: string;
}

/**
 * The agents the orchestrator calls: planner, executor, monitor and run recorder. Each may read
 * and write the state table and nothing else; only the planner may call Bedrock, and only the
 * two configured models.
 */
export class Agents extends Construct {
  public readonly planner: NodejsFunction;
  public readonly executor: NodejsFunction;
  public readonly monitor: NodejsFunction;
  public readonly runRecorder: NodejsFunction;
  /** The model ids the planner is configured and allowed to invoke. */
  public readonly models: { readonly fast: string; readonly slow: string };

  constructor(scope: Construct, id: string, props: AgentsProps) {
    super(scope, id);
    this.models = {
      fast: props.modelFastId ?? DEFAULT_MODELS.fast,
      slow: props.modelSlowId ?? DEFAULT_MODELS.slow,
    };
    const stateEnv = { STATE_TABLE: props.stateTable.tableName };

    const planner = new AiosFunction(this, 'Planner', {
      entry: 'functions/planner/lambda.ts',
      serviceName: 'planner',
      description: 'aios planner agent: retrieves memory and turns a run into validated steps',
      // Two model calls (fast, then slow on a weak plan) at tens of seconds each, with retries.
      timeout: Duration.minutes(2),
      memorySize: 512,
      environment: { ...stateEnv, MODEL_FAST_ID: this.models.fast, MODEL_SLOW_ID: this.models.slow },
    });
    const executor = new AiosFunction(this, 'Executor', {
      entry: 'functions/executor/lambda.ts',
      serviceName: 'executor',
      description: 'aios executor agent: records the intent of a step and applies the policy',
      timeout: Duration.seconds(30),
      environment: stateEnv,
    });
    const monitor = new AiosFunction(this, 'Monitor', {
      entry: 'functions/monitor/lambda.ts',
      serviceName: 'monitor',
      description: 'aios monitor agent: checks the outcome of an executed step',
      timeout: Duration.seconds(30),
      environment: stateEnv,
    });
    const runRecorder = new AiosFunction(this, 'RunRecorder', {
      entry: 'functions/run-recorder/lambda.ts',
      serviceName: 'run-recorder',
      description: 'aios run recorder: start, finish and failure account of a run',
      timeout: Duration.seconds(30),
      environment: stateEnv,
    });

    for (const agent of [planner, monitor]) grantReadAppend(props.stateTable, agent.function);
    grantReadAppend(props.stateTable, executor.function, {
      appendsAudit: "the policy's decision on each step, and the approval a public endpoint decided",
    });
    grantReadAppend(props.stateTable, runRecorder.function, {
      appendsAudit: 'the rejection (or expiry) a public endpoint decided and the run failed on',
    });
    this.grantModels(planner.role, [this.models.fast, this.models.slow]);

    this.planner = planner.function;
    this.executor = executor.function;
    this.monitor = monitor.function;
    this.runRecorder = runRecorder.function;
  }

  /**
   * bedrock:InvokeModel (which Converse uses) on exactly the configured models. A foundation model
   * is one ARN in this region. An inference profile routes to the same model in several regions,
   * so it needs the profile ARN plus the model in any region, but only when called through that
   * profile (AWS's documented pattern for cross-region inference).
   */
  /**
   * Another function that calls the planner's models (the api, for `aios replay --model current`):
   * the same two model ids in its environment and the same grant on exactly those models.
   */
  grantModelsTo(fn: NodejsFunction): void {
    if (!fn.role) throw new Error(`${fn.node.path} has no role to grant the models to`);
    fn.addEnvironment('MODEL_FAST_ID', this.models.fast);
    fn.addEnvironment('MODEL_SLOW_ID', this.models.slow);
    this.grantModels(fn.role, [this.models.fast, this.models.slow]);
  }

  private grantModels(role: iam.IRole, modelIds: readonly string[]): void {
    const stack = Stack.of(this);
    const modelArn = (region: string, model: string) =>
      `arn:${stack.partition}:bedrock:${region}::foundation-model/${model}`;
    /** Region-wildcard model ARNs, each acknowledged to cdk-nag below. */
    const profileModelArns: string[] = [];

    for (const modelId of new Set(modelIds)) {
      const profile = INFERENCE_PROFILE_PREFIX.exec(modelId);
      if (!profile) {
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({
            actions: ['bedrock:InvokeModel'],
            resources: [modelArn(stack.region, modelId)],
          }),
        );
        continue;
      }
      const [, geography, baseModelId = modelId] = profile;
      const profileArn = `arn:${stack.partition}:bedrock:${stack.region}:${stack.account}:inference-profile/${modelId}`;
      const routedModels = [modelArn('*', baseModelId)];
      profileModelArns.push(...routedModels);
      // Global profiles may also route to the region-less model ARN.
      if (geography === 'global') routedModels.push(modelArn('', baseModelId));
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['bedrock:InvokeModel'], resources: [profileArn] }),
      );
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['bedrock:InvokeModel'],
          resources: routedModels,
          conditions: { StringEquals: { 'bedrock:InferenceProfileArn': profileArn } },
        }),
      );
    }

    for (const arn of profileModelArns) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${arn.replace(`arn:${stack.partition}:`, 'arn:<AWS::Partition>:')}]`,
        reason:
          'A cross-region inference profile serves its model from any region of its geography; the region wildcard names this one model and, by condition, only calls made through the configured profile.',
      });
    }
  }
}
