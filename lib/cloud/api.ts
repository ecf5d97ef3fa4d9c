import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  type ApiFunction,
  awsRoutes,
  CONSOLE_FUNCTIONS,
  type ConsoleFunction,
  type RouteFunction,
  type RouteSpec,
} from '../../functions/api/routes.ts';
import { routeGroupFunctions } from './aios-function.ts';
import { grantReadAppend } from './table-access.ts';

/** The one stage; public links are built from it without a reference to the stage resource. */
export const API_STAGE = 'v1';

export interface ApiProps {
  readonly stateTable: dynamodb.ITable;
  readonly stateMachine: sfn.IStateMachine;
  /** For `aios dlq`: the gateway's queues. */
  readonly actionQueue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  /** The functions that serve the public routes of the table (the approvals construct's, the webhooks'). */
  readonly routeFunctions: Readonly<
    Record<Exclude<RouteFunction, ApiFunction | ConsoleFunction | 'local'>, lambda.IFunction>
  >;
}

/**
 * What an operator function may do beyond reading and appending to the state table: `executions`,
 * start runs and read their executions; `stops`, stop a running one (a cancel); `deadLetters`, peek
 * at and redrive the gateway's DLQ.
 */
export interface OperatorAccess {
  readonly executions: boolean;
  readonly stops?: boolean;
  readonly deadLetters: boolean;
}

/**
 * The API's functions, one per group of routes (functions/api/routes.ts), so that each loads only
 * the services its routes use (issue 15: every bundle within 300 KiB). `executions`: its routes
 * start runs or read their execution history; `deadLetters`: it peeks at and redrives the DLQ.
 * What they answer or reach beyond the state table is granted by the stack (task tokens, models,
 * memory, schedules).
 */
const API_FUNCTION_PROPS: Readonly<
  Record<ApiFunction, { id: string; entry: string; description: string } & OperatorAccess>
> = {
  api: {
    id: 'Handler',
    entry: 'functions/api/lambda.ts',
    description: 'aios API: start runs and read them, metrics, dead letters and connectors',
    executions: true,
    deadLetters: true,
  },
  'api-decisions': {
    id: 'Decisions',
    entry: 'functions/api-decisions/lambda.ts',
    description: 'aios API: approvals, handoffs, reviews and trust; cancel, retry and rerun',
    executions: true,
    stops: true,
    deadLetters: false,
  },
  'api-registry': {
    id: 'Registry',
    entry: 'functions/api-registry/lambda.ts',
    description: 'aios API: playbooks, the operator policy and schedules',
    executions: true,
    deadLetters: false,
  },
  'api-memory': {
    id: 'Memory',
    entry: 'functions/api-memory/lambda.ts',
    description: 'aios API: memory and replays',
    executions: false,
    deadLetters: false,
  },
};

const isConsoleRoute = (route: RouteSpec) => (CONSOLE_FUNCTIONS as readonly string[]).includes(route.fn);

/** The route's stage method key, as `methodOptions` names it: `/approvals/{id}/link/GET`. */
const methodKey = (route: RouteSpec) => `${route.path}/${route.method}`;

/**
 * The REST API, every resource and method from the route table (functions/api/routes.ts): the
 * operator's routes require SigV4 (IAM) signed requests, so only principals of the operator's
 * account with execute-api permission get in; the public-signed ones go without gateway auth
 * (their handlers verify a signature first) and are throttled as the table says.
 */
export class Api extends Construct {
  public readonly restApi: apigw.RestApi;
  /** The API's functions by route group; `function` is `api`'s (runs, metrics, dead letters, connectors). */
  public readonly functions: Readonly<Record<ApiFunction, NodejsFunction>>;
  public readonly function: NodejsFunction;
  public readonly accessLogGroup: logs.LogGroup;
  private readonly operatorAccess: ApiProps;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);

    this.operatorAccess = props;
    this.functions = routeGroupFunctions(this, API_FUNCTION_PROPS, (fn, spec) =>
      this.grantOperatorAccess(fn, spec),
    );
    this.function = this.functions.api;

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.restApi = new apigw.RestApi(this, 'RestApi', {
      description: 'aios operator API (IAM-authorised)',
      endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
      // Execution logging needs the account-level CloudWatch role; this stack provides it.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      defaultMethodOptions: { authorizationType: apigw.AuthorizationType.IAM },
      deployOptions: {
        stageName: API_STAGE,
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.INFO,
        dataTraceEnabled: false,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
        // One operator and their scripts: generous for that, a ceiling for a leaked credential.
        throttlingRateLimit: 10,
        throttlingBurstLimit: 20,
        // The unauthenticated routes get tighter limits of their own: a person clicks, nobody scripts.
        methodOptions: Object.fromEntries(
          awsRoutes().flatMap((route) =>
            route.throttle
              ? [
                  [
                    methodKey(route),
                    {
                      throttlingRateLimit: route.throttle.rateLimit,
                      throttlingBurstLimit: route.throttle.burstLimit,
                    },
                  ],
                ]
              : [],
          ),
        ),
      },
    });

    const validator = new apigw.RequestValidator(this, 'Validator', {
      restApi: this.restApi,
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    // The edge only checks the shape (a JSON object); the handler's zod schema owns the fields,
    // so the contract has one source of truth and its errors name the field.
    const jsonObjectModel = this.restApi.addModel('StartRunRequest', {
      contentType: 'application/json',
      schema: { schema: apigw.JsonSchemaVersion.DRAFT4, type: apigw.JsonSchemaType.OBJECT },
    });

    const integrations = new Map<RouteFunction, apigw.LambdaIntegration>();
    const integrationOf = (fn: RouteFunction) => {
      const target =
        (this.functions as Partial<Record<RouteFunction, lambda.IFunction>>)[fn] ??
        props.routeFunctions[fn as keyof ApiProps['routeFunctions']];
      if (!target) throw new Error(`no function serves the routes of ${fn}`);
      const integration =
        integrations.get(fn) ?? new apigw.LambdaIntegration(target, { allowTestInvoke: false });
      integrations.set(fn, integration);
      return integration;
    };
    // Reindex and consolidation are local-only: they outlast API Gateway's 29 s and run in the
    // memory maintenance function on AWS.
    // The console's rows come with its function and authorizer (serveConsole).
    for (const route of awsRoutes().filter((r) => !isConsoleRoute(r))) {
      const resource = route.path === '/' ? this.restApi.root : this.restApi.root.resourceForPath(route.path);
      const integration = integrationOf(route.fn);
      if (route.auth !== 'operator') {
        const method = resource.addMethod(route.method, integration, {
          authorizationType: apigw.AuthorizationType.NONE,
        });
        Validations.of(method).acknowledge(
          {
            id: 'AwsSolutions-APIG4',
            reason:
              'Public by design: a magic link carries an HMAC-signed, expiring, single-use token bound to one approval and one approver, the Slack endpoint verifies the v0 request signature and a webhook its HMAC-SHA256 t=,v1= signature (300 s window, constant-time compare) before anything else; all are throttled.',
          },
          {
            id: 'AwsSolutions-COG4',
            reason:
              'Signed links, Slack request signatures and webhook signatures are the authentication here; there are no user pools.',
          },
        );
        continue;
      }
      const pathParameters = [...route.path.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map(
        ([, name]) => `method.request.path.${name}`,
      );
      const query = (route.requiredQuery ?? []).map((name) => `method.request.querystring.${name}`);
      const requestParameters = Object.fromEntries([...pathParameters, ...query].map((key) => [key, true]));
      resource.addMethod(route.method, integration, {
        requestValidator: validator,
        ...(route.jsonBody ? { requestModels: { 'application/json': jsonObjectModel } } : {}),
        ...(Object.keys(requestParameters).length > 0 ? { requestParameters } : {}),
      });
    }

    Validations.of(this.restApi).acknowledge(
      {
        id: 'AwsSolutions-COG4',
        reason:
          'The API has no end users, only the operator and their tooling, authenticated by IAM (SigV4) on every method; a Cognito user pool would add a second identity store for one person.',
      },
      {
        id: 'AwsSolutions-APIG3',
        reason:
          'Unsigned requests are rejected by IAM authorisation before any integration runs, and the stage is throttled; a WAF web ACL would add a fixed monthly cost and no protection an IAM-only operator API needs.',
      },
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          'AmazonAPIGatewayPushToCloudWatchLogs is the AWS-maintained policy of the account-level role API Gateway uses to write execution logs; no workload assumes that role.',
      },
    );
  }

  /**
   * What a function serving the operator (the API's, the console's) reads and steers through: the
   * state table; with `executions`, the run machine's executions; with `deadLetters`, the
   * gateway's queues.
   */
  grantOperatorAccess(fn: NodejsFunction, access: OperatorAccess): void {
    const props = this.operatorAccess;
    fn.addEnvironment('STATE_TABLE', props.stateTable.tableName);
    // Every operator function builds the run ports (functions/api/aws-operator-ports.ts); only
    // those with `executions` are allowed to call the machine.
    fn.addEnvironment('STATE_MACHINE_ARN', props.stateMachine.stateMachineArn);
    // They decide approvals, withdraw them on cancel, change workflow modes, write replays.
    grantReadAppend(props.stateTable, fn, {
      appendsAudit: "the operator's own decisions, withdrawals on cancel, and workflow mode changes",
    });
    if (access.deadLetters) {
      fn.addEnvironment('ACTION_DLQ_URL', props.deadLetterQueue.queueUrl);
      fn.addEnvironment('ACTION_DLQ_ARN', props.deadLetterQueue.queueArn);
      // GET /dlq peeks at the DLQ; POST /dlq/redrive starts SQS's message move task, which acts
      // with the caller's permissions: read and delete on the DLQ, send on the action queue. A
      // redriven message still needs its valid capability grant to have any effect.
      props.deadLetterQueue.grant(
        fn,
        'sqs:ReceiveMessage',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:StartMessageMoveTask',
      );
      props.actionQueue.grantSendMessages(fn);
    }
    if (!access.executions) return;
    props.stateMachine.grantStartExecution(fn);
    // Executions are named after runs and created at run time, so this is scoped to the
    // executions of this one state machine (execution:<name>:*), the narrowest ARN there is.
    // DescribeExecution: a retried POST /runs finds whether the run's execution already ended.
    props.stateMachine.grantExecution(fn, 'states:GetExecutionHistory', 'states:DescribeExecution');
    // A cancel stops the run's execution (the orchestrator's stopRun); without it, cancelling a
    // running run failed with AccessDenied.
    if (access.stops) props.stateMachine.grantExecution(fn, 'states:StopExecution');
    const stateMachineLogicalId = Stack.of(this).getLogicalId(
      props.stateMachine.node.defaultChild as sfn.CfnStateMachine,
    );
    Validations.of(fn.role ?? fn).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${stateMachineLogicalId}"}]}]}:*]`,
      reason:
        'GET /runs/{id}/history reads the execution history of a run, and a retried POST /runs describes its execution; executions are named after runs at run time, so the grant covers the executions of this state machine only.',
    });
  }

  /**
   * The console's rows of the route table, each on its function of `fns`: its pages behind
   * `authorizer` (the operator's Cognito session), its way in (login, the sign-in callback, `/`)
   * open and throttled.
   */
  serveConsole(
    fns: Readonly<Record<ConsoleFunction, lambda.IFunction>>,
    authorizer: apigw.IAuthorizer,
  ): void {
    const integrations = new Map<ConsoleFunction, apigw.LambdaIntegration>();
    for (const route of awsRoutes().filter(isConsoleRoute)) {
      const fn = route.fn as ConsoleFunction;
      const integration =
        integrations.get(fn) ?? new apigw.LambdaIntegration(fns[fn], { allowTestInvoke: false });
      integrations.set(fn, integration);
      const resource = route.path === '/' ? this.restApi.root : this.restApi.root.resourceForPath(route.path);
      if (route.auth === 'console') {
        const method = resource.addMethod(route.method, integration, {
          authorizationType: apigw.AuthorizationType.CUSTOM,
          authorizer,
        });
        Validations.of(method).acknowledge({
          id: 'AwsSolutions-COG4',
          reason:
            "Cognito guards this route: the console authorizer verifies the user pool's ID token from the session cookie; a COGNITO_USER_POOLS authorizer reads only a header, which a browser's page navigation does not send.",
        });
        continue;
      }
      const method = resource.addMethod(route.method, integration, {
        authorizationType: apigw.AuthorizationType.NONE,
      });
      Validations.of(method).acknowledge(
        {
          id: 'AwsSolutions-APIG4',
          reason:
            "The console's way in: the login page only redirects to Cognito's hosted sign-in and the callback checks its state and PKCE verifier before exchanging the code; they show no data and are throttled.",
        },
        {
          id: 'AwsSolutions-COG4',
          reason:
            'This route is how the operator reaches the Cognito sign-in; a Cognito authorizer in front of it would lock the operator out.',
        },
      );
    }
  }
}
