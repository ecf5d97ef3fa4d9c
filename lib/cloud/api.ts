import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { awsRoutes, type RouteFunction, type RouteSpec } from '../../functions/api/routes.ts';
import { AiosFunction } from './aios-function.ts';
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
    Record<Exclude<RouteFunction, 'api' | 'console' | 'local'>, lambda.IFunction>
  >;
}

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
  public readonly function: NodejsFunction;
  public readonly accessLogGroup: logs.LogGroup;
  private readonly operatorAccess: ApiProps;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);

    const api = new AiosFunction(this, 'Handler', {
      entry: 'functions/api/lambda.ts',
      serviceName: 'api',
      description: 'aios API: start runs and read them',
      // API Gateway gives up after 29 s; a longer Lambda timeout would only hide the failure.
      timeout: Duration.seconds(29),
    });
    this.function = api.function;
    this.operatorAccess = props;
    this.grantOperatorAccess(this.function);

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
        fn === 'api' ? this.function : props.routeFunctions[fn as keyof ApiProps['routeFunctions']];
      if (!target) throw new Error(`no function serves the routes of ${fn}`);
      const integration =
        integrations.get(fn) ?? new apigw.LambdaIntegration(target, { allowTestInvoke: false });
      integrations.set(fn, integration);
      return integration;
    };
    // Reindex and consolidation are local-only: they outlast API Gateway's 29 s and run in the
    // memory maintenance function on AWS.
    // The console's rows come with its function and authorizer (serveConsole).
    for (const route of awsRoutes().filter((r) => r.fn !== 'console')) {
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
   * What a function serving the operator (the API, the console) reads and steers through: the
   * state table, the run machine's executions, the gateway's queues.
   */
  grantOperatorAccess(fn: NodejsFunction): void {
    const props = this.operatorAccess;
    fn.addEnvironment('STATE_TABLE', props.stateTable.tableName);
    fn.addEnvironment('STATE_MACHINE_ARN', props.stateMachine.stateMachineArn);
    fn.addEnvironment('ACTION_DLQ_URL', props.deadLetterQueue.queueUrl);
    fn.addEnvironment('ACTION_DLQ_ARN', props.deadLetterQueue.queueArn);
    // The API and the console both decide approvals, withdraw them on cancel and change workflow modes.
    grantReadAppend(props.stateTable, fn, {
      appendsAudit: "the operator's own decisions, withdrawals on cancel, and workflow mode changes",
    });
    props.stateMachine.grantStartExecution(fn);
    // Executions are named after runs and created at run time, so this is scoped to the
    // executions of this one state machine (execution:<name>:*), the narrowest ARN there is.
    // DescribeExecution: a retried POST /runs finds whether the run's execution already ended.
    props.stateMachine.grantExecution(fn, 'states:GetExecutionHistory', 'states:DescribeExecution');
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
   * The console's rows of the route table on `fn`: its pages behind `authorizer` (the operator's
   * Cognito session), its way in (login, the sign-in callback, `/`) open and throttled.
   */
  serveConsole(fn: lambda.IFunction, authorizer: apigw.IAuthorizer): void {
    const integration = new apigw.LambdaIntegration(fn, { allowTestInvoke: false });
    for (const route of awsRoutes().filter((r) => r.fn === 'console')) {
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
