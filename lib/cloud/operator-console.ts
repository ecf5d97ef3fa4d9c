import { CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import type { ConsoleFunction } from '../../functions/api/routes.ts';
import { METRIC_NAMES, METRICS_NAMESPACE, METRICS_SERVICE } from '../../functions/core/metrics/names.ts';
import { WORKFLOW_DIMENSION } from '../../functions/shared/workflow-metrics.ts';
import { AiosFunction, routeGroupFunctions } from './aios-function.ts';
import { API_STAGE, type Api, type OperatorAccess } from './api.ts';

/**
 * The console's functions, one per group of pages, so that each loads only what its pages use
 * (issue 15: every bundle within 300 KiB); `access`: what it reads and steers through (Api's
 * grantOperatorAccess). The memory page reaches memory only (granted by the stack).
 */
const CONSOLE_FUNCTION_PROPS: Readonly<
  Record<
    ConsoleFunction,
    {
      id: string;
      entry: string;
      description: string;
      access?: OperatorAccess;
    }
  >
> = {
  console: {
    id: 'Pages',
    entry: 'functions/console/lambda.ts',
    description: 'aios console: runs, workflows, connectors and the way in, behind Cognito',
    access: { executions: true, deadLetters: true },
  },
  'console-inbox': {
    id: 'Inbox',
    entry: 'functions/console-inbox/lambda.ts',
    description: "aios console: the operator's inbox (approvals, handoffs, reviews), behind Cognito",
    access: { executions: false, deadLetters: false },
  },
  'console-run-control': {
    id: 'RunControl',
    entry: 'functions/console-run-control/lambda.ts',
    description: 'aios console: cancel, retry and rerun a run, behind Cognito',
    access: { executions: true, stops: true, deadLetters: false },
  },
  'console-memory': {
    id: 'MemoryPages',
    entry: 'functions/console-memory/lambda.ts',
    description: 'aios console: memory search, behind Cognito',
  },
};

export interface OperatorConsoleProps {
  /** The operator, the pool's only user (context `aios:operatorEmail`); without it the pool has no user yet. */
  readonly operatorEmail?: string;
  /** The API that serves the console's rows of the route table. */
  readonly api: Api;
  /** The API stage's public URL (`https://…/v1`): the callback and logout URLs are built on it. */
  readonly publicBaseUrl: string;
  /** The hosted sign-in domain's prefix (globally unique per region); defaults to `aios-<stack id hash>`. */
  readonly domainPrefix?: string;
}

/**
 * The console on AWS: a Cognito user pool with the operator as its only user (no sign-up, an
 * invitation by email with a temporary password), its hosted sign-in, the console function that
 * serves the table's console rows on the API, the authorizer in front of its pages, and a
 * CloudWatch dashboard of the numbers the metrics page shows.
 *
 * The authorizer is a Lambda REQUEST authorizer reading the session cookie, not a
 * COGNITO_USER_POOLS one: that reads the token from a header, and a browser opening a page or
 * posting a form sends no Authorization header. The cookie holds the ID token the sign-in
 * callback got (authorization code + PKCE), HttpOnly so no script can read it.
 */
export class OperatorConsole extends Construct {
  public readonly userPool: cognito.UserPool;
  public readonly client: cognito.UserPoolClient;
  public readonly domain: cognito.UserPoolDomain;
  public readonly dashboard: cloudwatch.Dashboard;
  /** The console's functions by group of pages (functions/api/console-routes.ts). */
  public readonly functions: Readonly<Record<ConsoleFunction, NodejsFunction>>;
  /** Serves the console's views and its way in (the table's `console` rows). */
  public readonly function: NodejsFunction;
  public readonly authorizerFunction: NodejsFunction;
  public readonly authorizer: apigw.RequestAuthorizer;

  constructor(scope: Construct, id: string, props: OperatorConsoleProps) {
    super(scope, id);
    this.userPool = new cognito.UserPool(this, 'Operators', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      // One person holds the keys to the business: an authenticator app, always.
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      // Threat protection (compromised passwords, risky sign-ins) is priced per active user: one here.
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      // The operator's login outlives a stack update gone wrong.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    if (props.operatorEmail) {
      new cognito.CfnUserPoolUser(this, 'Operator', {
        userPoolId: this.userPool.userPoolId,
        username: props.operatorEmail,
        userAttributes: [
          { name: 'email', value: props.operatorEmail },
          { name: 'email_verified', value: 'true' },
        ],
        desiredDeliveryMediums: ['EMAIL'],
      });
    }
    const prefix = props.domainPrefix ?? `aios-${Stack.of(this).node.addr.slice(0, 12)}`;
    this.domain = this.userPool.addDomain('SignIn', { cognitoDomain: { domainPrefix: prefix } });
    const callbackUrl = `${props.publicBaseUrl}/console/auth/callback`;
    const logoutUrl = `${props.publicBaseUrl}/console/login`;
    this.client = this.userPool.addClient('Console', {
      // A public client with PKCE: a client secret would have to sit in the function's
      // configuration (the template) or be fetched on every cold start, and PKCE already binds
      // the code to the browser that asked for it.
      generateSecret: false,
      authFlows: {},
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL],
        callbackUrls: [callbackUrl],
        logoutUrls: [logoutUrl],
      },
      preventUserExistenceErrors: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(12),
    });
    this.dashboard = metricsDashboard(this);

    const pool = {
      USER_POOL_ID: this.userPool.userPoolId,
      USER_POOL_CLIENT_ID: this.client.userPoolClientId,
    };
    const environment = {
      ...pool,
      SIGN_IN_URL: this.domain.baseUrl(),
      CONSOLE_CALLBACK_URL: callbackUrl,
      CONSOLE_LOGOUT_URL: logoutUrl,
      // Browsers ask for /v1/console/…; API Gateway hands the function /console/….
      AIOS_CONSOLE_LINK_PREFIX: `/${API_STAGE}`,
    };
    this.functions = routeGroupFunctions(
      this,
      CONSOLE_FUNCTION_PROPS,
      (fn, spec) => {
        if (spec.access) props.api.grantOperatorAccess(fn, spec.access);
      },
      environment,
    );
    this.function = this.functions.console;

    this.authorizerFunction = new AiosFunction(this, 'Authorizer', {
      entry: 'functions/console/authorizer-lambda.ts',
      serviceName: 'console-authorizer',
      description: "aios console: verifies the operator's Cognito session cookie",
      timeout: Duration.seconds(10),
      environment: pool,
    }).function;
    this.authorizer = new apigw.RequestAuthorizer(this, 'SessionAuthorizer', {
      handler: this.authorizerFunction,
      identitySources: [apigw.IdentitySource.header('Cookie')],
      // No cache: a policy cached per cookie would name the first page's method only (and deny the
      // next page), and would outlive the token's expiry; the JWKS is cached in the function.
      resultsCacheTtl: Duration.seconds(0),
    });
    props.api.serveConsole(this.functions, this.authorizer);
    // The authorizer's 401 (no cookie, or a token it refuses) becomes a redirect to the login page.
    // IAM's refusals on the other routes are 403s of their own kinds, so they are untouched.
    props.api.restApi.addGatewayResponse('SignInFirst', {
      type: apigw.ResponseType.UNAUTHORIZED,
      statusCode: '303',
      responseHeaders: {
        Location: `'/${API_STAGE}/console/login'`,
        'Cache-Control': "'no-store'",
      },
      templates: { 'text/html': '', 'application/json': '{}' },
    });
    new CfnOutput(this, 'SignInUrl', { value: this.domain.baseUrl() });
    new CfnOutput(this, 'ConsoleUrl', { value: `${props.publicBaseUrl}/console/runs` });
  }
}

const metric = (metricName: string, statistic = 'Sum') =>
  new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: METRICS_SERVICE },
    statistic,
    period: Duration.days(1),
  });

/**
 * One line per workflow: the handlers emit these with a `workflow` dimension (functions/shared/
 * workflow-metrics.ts), and a SEARCH finds every workflow's series, including one pushed later.
 */
const perWorkflow = (metricName: string, statistic: 'Sum' | 'Average') =>
  new cloudwatch.MathExpression({
    expression: `SEARCH('{${METRICS_NAMESPACE},service,${WORKFLOW_DIMENSION}} MetricName="${metricName}"', '${statistic}', 86400)`,
    label: '',
    period: Duration.days(1),
  });

function metricsDashboard(scope: Construct): cloudwatch.Dashboard {
  const dashboard = new cloudwatch.Dashboard(scope, 'Dashboard', { defaultInterval: Duration.days(30) });
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'Runs per day',
      left: [METRIC_NAMES.runStarted, METRIC_NAMES.runSucceeded, METRIC_NAMES.runFailed].map((name) =>
        metric(name),
      ),
      width: 12,
    }),
    new cloudwatch.GraphWidget({
      title: 'Time saved per workflow (minutes per day)',
      left: [perWorkflow(METRIC_NAMES.timeSavedMinutes, 'Sum')],
      width: 12,
    }),
  );
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'Cost per task per workflow (USD, average per run)',
      left: [perWorkflow(METRIC_NAMES.runCostUsd, 'Average')],
      width: 12,
    }),
    new cloudwatch.GraphWidget({
      title: 'Human overrides per workflow, and actions, per day',
      left: [perWorkflow(METRIC_NAMES.humanOverride, 'Sum')],
      right: [metric(METRIC_NAMES.actionSucceeded)],
      width: 12,
    }),
  );
  return dashboard;
}
