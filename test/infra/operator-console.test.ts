import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { METRIC_NAMES } from '../../functions/core/metrics/names.ts';
import { synthAios } from './synth.ts';

let template: Template;
let withoutOperator: Template;

beforeAll(() => {
  ({ template } = synthAios({ context: { 'aios:operatorEmail': 'op@example.com' } }));
  ({ template: withoutOperator } = synthAios());
});

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
      GenerateSecret: true,
      CallbackURLs: [
        { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('/console/auth/callback$')])] },
      ],
    });
  });

  it('draws the runs, time saved, cost per task and overrides on a dashboard, from the emitted metric names', () => {
    const dashboards = template.findResources('AWS::CloudWatch::Dashboard');
    expect(Object.keys(dashboards)).toHaveLength(1);
    const body = JSON.stringify(Object.values(dashboards)[0]?.Properties?.DashboardBody);
    for (const name of Object.values(METRIC_NAMES)) expect(body).toContain(`\\"${name}\\"`);
    expect(body).toContain('\\"aios\\"');
    expect(body).toContain('Cost per task');
  });
});
