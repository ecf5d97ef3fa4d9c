import { fileURLToPath } from 'node:url';
import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LOCK_FILE = fileURLToPath(new URL('../../package-lock.json', import.meta.url));

/** The Lambda runtime every aios function runs on; the esbuild target follows it. */
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_22_X;

export interface AiosFunctionProps {
  /** Entry point relative to the project root, e.g. `functions/planner/lambda.ts`; it exports `handler`. */
  readonly entry: string;
  /** Becomes POWERTOOLS_SERVICE_NAME: the `service` key of every log line and metric. */
  readonly serviceName: string;
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize?: number;
  /** Added to the variables every function gets (POWERTOOLS_*, AIOS_RUNTIME). */
  readonly environment?: Record<string, string>;
  readonly logRetention?: logs.RetentionDays;
}

/**
 * A Node.js Lambda function with the aios defaults: ESM bundle built by the local esbuild (no
 * Docker), arm64, active X-Ray tracing, JSON logs into its own log group with a retention, and a
 * role of its own that starts with nothing but writing to that log group (no managed policies).
 */
export class AiosFunction extends Construct {
  public readonly function: NodejsFunction;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: AiosFunctionProps) {
    super(scope, id);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the aios ${props.serviceName} function`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: fileURLToPath(new URL(`../../${props.entry}`, import.meta.url)),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: LOCK_FILE,
      description: props.description,
      runtime: LAMBDA_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout,
      tracing: lambda.Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: {
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: 'aios',
        AIOS_RUNTIME: 'aws',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        mainFields: ['module', 'main'],
        // Some CommonJS dependencies call require(); an ESM bundle has none unless we make one.
        banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
        // The Node.js 22 runtime ships AWS SDK v3; bundling our own would only grow cold starts.
        externalModules: ['@aws-sdk/*'],
        minify: true,
        // No source maps: without --enable-source-maps they serve nothing, yet they were 3-5x the bundle
        // in every zip. Logs carry the error messages and their cause chains, which is what we read.
        sourceMap: false,
        logLevel: LogLevel.WARNING,
      },
    });

    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Active tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions (AWS requires Resource "*").',
    });
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Pinned to Node.js 22, the runtime the function code is written and bundled (target node22) for; moving to Node.js 24 is a deliberate upgrade of runtime and esbuild target together, tested first.',
    });
  }
}

const API_GATEWAY_TIMEOUT = Duration.seconds(29);

/** One function of a group of API routes: its construct id, entry and description. */
export interface RouteGroupFunctionSpec {
  readonly id: string;
  readonly entry: string;
  readonly description: string;
}

/**
 * The functions behind API Gateway routes, one per group (`specs`, by service name), each with
 * the API's 29 s: API Gateway gives up after that, and a longer Lambda timeout would only hide the
 * failure. `grant` gives each what its routes reach.
 */
export function routeGroupFunctions<Name extends string, Spec extends RouteGroupFunctionSpec>(
  scope: Construct,
  specs: Readonly<Record<Name, Spec>>,
  grant: (fn: NodejsFunction, spec: Spec) => void,
  environment?: Record<string, string>,
): Record<Name, NodejsFunction> {
  return Object.fromEntries(
    (Object.entries(specs) as [Name, Spec][]).map(([name, spec]) => {
      const created = new AiosFunction(scope, spec.id, {
        entry: spec.entry,
        serviceName: name,
        description: spec.description,
        timeout: API_GATEWAY_TIMEOUT,
        ...(environment && { environment }),
      }).function;
      grant(created, spec);
      return [name, created];
    }),
  ) as Record<Name, NodejsFunction>;
}
