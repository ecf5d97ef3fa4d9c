import { CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { METRIC_NAMES, METRICS_NAMESPACE, METRICS_SERVICE } from '../../functions/core/metrics/names.ts';

export interface OperatorConsoleProps {
  /** The operator, the pool's only user (context `aios:operatorEmail`); without it the pool has no user yet. */
  readonly operatorEmail?: string;
  /** Where Cognito's hosted sign-in sends the operator back: the console's callback on the API. */
  readonly callbackUrl: string;
  readonly logoutUrl: string;
  /** The hosted sign-in domain's prefix (globally unique per region); defaults to `aios-<stack id hash>`. */
  readonly domainPrefix?: string;
}

/**
 * The console on AWS: a Cognito user pool with the operator as its only user (no sign-up, an
 * invitation by email with a temporary password), its hosted sign-in, and a CloudWatch dashboard
 * of the numbers the metrics page shows. The console routes' Cognito authorizer is added where the
 * API is built from the route table.
 */
export class OperatorConsole extends Construct {
  public readonly userPool: cognito.UserPool;
  public readonly client: cognito.UserPoolClient;
  public readonly domain: cognito.UserPoolDomain;
  public readonly dashboard: cloudwatch.Dashboard;

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
    this.client = this.userPool.addClient('Console', {
      generateSecret: true,
      authFlows: {},
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL],
        callbackUrls: [props.callbackUrl],
        logoutUrls: [props.logoutUrl],
      },
      preventUserExistenceErrors: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(12),
    });
    this.dashboard = metricsDashboard(this);
    new CfnOutput(this, 'SignInUrl', { value: this.domain.baseUrl() });
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
      title: 'Time saved (minutes per day)',
      left: [metric(METRIC_NAMES.timeSavedMinutes)],
      width: 12,
    }),
  );
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'Cost per task (USD, average per run)',
      left: [metric(METRIC_NAMES.runCostUsd, 'Average')],
      right: [metric(METRIC_NAMES.runCostUsd)],
      width: 12,
    }),
    new cloudwatch.GraphWidget({
      title: 'Human overrides and actions per day',
      left: [metric(METRIC_NAMES.humanOverride)],
      right: [metric(METRIC_NAMES.actionSucceeded)],
      width: 12,
    }),
  );
  return dashboard;
}
