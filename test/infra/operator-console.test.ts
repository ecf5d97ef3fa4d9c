import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { awsRoutes } from '../../functions/api/routes.ts';
import { METRIC_NAMES } from '../../functions/core/metrics/names.ts';
import type { AiosStack } from '../../lib/cloud/aios-stack.ts';
import { logicalIdOf, synthAios } from './synth.ts';

let stack: AiosStack;
let template: Template;
let withoutOperator: Template;

beforeAll(() => {
  ({ stack, template } = synthAios({ context: { 'aios:operatorEmail': 'op@example.com' } }));
  ({ template: withoutOperator } = synthAios());
});

/** Each API method as `METHOD /path` with its authorization type and authorizer (if any). */
function methods(): Map<string, { type: string; authorizer?: unknown; integration: string }> {
  const resources = template.findResources('AWS::ApiGateway::Resource');
  const pathOf = (parent: unknown): string => {
    const resource = resources[(parent as { Ref?: string }).Ref ?? ''];
    return resource ? `${pathOf(resource.Properties.ParentId)}/${resource.Properties.PathPart}` : '';
  };
  return new Map(
    Object.values(template.findResources('AWS::ApiGateway::Method')).map(({ Properties: p }) => [
      `${p.HttpMethod} ${pathOf(p.ResourceId) || '/'}`,
      { type: p.AuthorizationType, authorizer: p.AuthorizerId, integration: JSON.stringify(p.Integration) },
    ]),
  );
}

describe('OperatorConsole: Cognito sign-in and the metrics dashboard', () => {
  it('has one user pool that nobody can sign up to', () => {
    template.resourceCountIs('AWS::Cognito::UserPool', 1);
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      UsernameAttributes: ['email'],
    });
  });

  it('makes the operator from aios:operatorEmail its only user, invited by email', () => {
    template.resourceCountIs('AWS::Cognito::UserPoolUser', 1);
    template.hasResourceProperties('AWS::Cognito::UserPoolUser', {
      Username: 'op@example.com',
      DesiredDeliveryMediums: ['EMAIL'],
      UserAttributes: Match.arrayWith([{ Name: 'email', Value: 'op@example.com' }]),
    });
    withoutOperator.resourceCountIs('AWS::Cognito::UserPoolUser', 0);
  });

  it('signs in through the hosted domain with the code grant, back to the console on the API', () => {
    template.resourceCountIs('AWS::Cognito::UserPoolDomain', 1);
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      // PKCE, not a client secret: no secret in the template or the function's configuration.
      GenerateSecret: false,
      CallbackURLs: [
        { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('/console/auth/callback$')])] },
      ],
    });
  });

  it('verifies the session cookie with a REQUEST authorizer on the console function, uncached', () => {
    const authorizers = template.findResources('AWS::ApiGateway::Authorizer');
    expect(Object.keys(authorizers)).toHaveLength(1);
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.Cookie',
      AuthorizerResultTtlInSeconds: 0,
    });
    expect(JSON.stringify(Object.values(authorizers)[0]?.Properties.AuthorizerUri)).toContain(
      logicalIdOf(stack, stack.console.authorizerFunction),
    );
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          USER_POOL_ID: { Ref: logicalIdOf(stack, stack.console.userPool) },
          USER_POOL_CLIENT_ID: { Ref: logicalIdOf(stack, stack.console.client) },
        }),
      },
    });
  });

  it('puts the authorizer on every console page and on no other route; the rest is IAM or public as the table says', () => {
    const [authorizerId] = Object.keys(template.findResources('AWS::ApiGateway::Authorizer'));
    const consoleFunctions = Object.entries(stack.console.functions).map(
      ([fn, f]) => [fn, `"${logicalIdOf(stack, f)}"`] as const,
    );
    const served = methods();
    const routes = awsRoutes();
    expect(routes.filter((r) => r.auth === 'console').length).toBeGreaterThan(8);
    expect(served.size).toBe(routes.length);
    for (const route of routes) {
      const method = served.get(`${route.method} ${route.path}`);
      const name = `${route.method} ${route.path}`;
      expect(method, name).toBeDefined();
      if (route.auth === 'console') {
        expect(method?.type, name).toBe('CUSTOM');
        expect(method?.authorizer, name).toEqual({ Ref: authorizerId });
      } else {
        expect(method?.authorizer, name).toBeUndefined();
        expect(method?.type, name).toBe(route.auth === 'operator' ? 'AWS_IAM' : 'NONE');
      }
      // Each console row on its own function of the console's (split by pages), no other row on any.
      for (const [fn, id] of consoleFunctions)
        expect(method?.integration.includes(id), `${name} on ${fn}`).toBe(route.fn === fn);
    }
  });

  it("answers the authorizer's refusal with a redirect to the login page", () => {
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'UNAUTHORIZED',
      StatusCode: '303',
      ResponseParameters: Match.objectLike({
        'gatewayresponse.header.Location': "'/v1/console/login'",
      }),
    });
  });

  it('draws the runs, time saved, cost per task and overrides on a dashboard, from the emitted metric names', () => {
    const dashboards = template.findResources('AWS::CloudWatch::Dashboard');
    expect(Object.keys(dashboards)).toHaveLength(1);
    const body = JSON.stringify(Object.values(dashboards)[0]?.Properties?.DashboardBody);
    const perWorkflow = [METRIC_NAMES.timeSavedMinutes, METRIC_NAMES.runCostUsd, METRIC_NAMES.humanOverride];
    for (const name of Object.values(METRIC_NAMES).filter((n) => !perWorkflow.includes(n as never)))
      expect(body).toContain(`\\"${name}\\"`);
    // Emitted with the workflow as a dimension (functions/shared/workflow-metrics.ts): one line each.
    for (const name of perWorkflow)
      expect(body).toContain(`SEARCH('{aios,service,workflow} MetricName=\\\\\\"${name}\\\\\\"'`);
    expect(body).toContain('\\"aios\\"');
    expect(body).toContain('Cost per task');
  });
});
