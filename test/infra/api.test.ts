import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { API_FUNCTIONS, type ApiFunction, ROUTES } from '../../functions/api/routes.ts';
import type { AiosStack } from '../../lib/cloud/aios-stack.ts';
import { logicalIdOf, synthAios } from './synth.ts';

let stack: AiosStack;
let template: Template;
let methods: Record<string, { Properties: Record<string, unknown> }>;

beforeAll(() => {
  ({ stack, template } = synthAios());
  // The console's methods (its own functions, behind its authorizer) are test/infra/operator-console.test.ts's.
  const consoleFunctions = Object.values(stack.console.functions).map((fn) => `"${logicalIdOf(stack, fn)}"`);
  methods = Object.fromEntries(
    Object.entries(template.findResources('AWS::ApiGateway::Method')).filter(
      ([, method]) =>
        !consoleFunctions.some((id) => JSON.stringify(method.Properties.Integration).includes(id)),
    ),
  ) as typeof methods;
});

/** The only routes without IAM: the signed approval links and the signature-checked Slack and webhook endpoints. */
const PUBLIC_ROUTES = [
  'GET /approvals/{id}/link',
  'POST /approvals/{id}/link',
  'POST /hooks/{playbook}',
  'POST /slack/interactions',
];

/** "POST /runs"-style names of the API's methods, from the resource tree in the template. */
function routes(): string[] {
  const resources = template.findResources('AWS::ApiGateway::Resource');
  const pathOf = (parent: unknown): string => {
    const id = (parent as { Ref?: string }).Ref;
    const resource = id ? resources[id] : undefined;
    if (!resource) return '';
    return `${pathOf(resource.Properties.ParentId)}/${resource.Properties.PathPart}`;
  };
  return Object.values(methods).map((m) => `${m.Properties.HttpMethod} ${pathOf(m.Properties.ResourceId)}`);
}

/** The methods of the operator's API, i.e. all but the public approval routes. */
function operatorMethods() {
  const names = routes();
  return Object.values(methods).filter((_, i) => !PUBLIC_ROUTES.includes(names[i] as string));
}

describe('Api: routes', () => {
  it('has the runs (with cancel, retry, rerun, replay), approvals, handoffs, reviews and workflow trust, schedules, hooks, playbooks, policy, metrics, dead-letter and memory routes, and nothing else', () => {
    expect(routes().sort()).toEqual([
      'GET /approvals',
      'GET /approvals/{id}',
      'GET /approvals/{id}/link',
      'GET /connectors',
      'GET /dlq',
      'GET /handoffs',
      'GET /handoffs/{id}',
      'GET /memory/search',
      'GET /memory/{id}/history',
      'GET /metrics',
      'GET /playbooks',
      'GET /playbooks/{name}',
      'GET /policy',
      'GET /reviews',
      'GET /runs',
      'GET /runs/{id}',
      'GET /runs/{id}/audit',
      'GET /runs/{id}/cost',
      'GET /runs/{id}/history',
      'GET /runs/{id}/replays',
      'GET /schedules',
      'GET /workflows/{name}/trust',
      'POST /approvals/{id}/decision',
      'POST /approvals/{id}/link',
      'POST /dlq/redrive',
      'POST /handoffs/{id}/complete',
      'POST /hooks/{playbook}',
      'POST /memory',
      'POST /playbooks',
      'POST /playbooks/diff',
      'POST /reviews/{id}',
      'POST /runs',
      'POST /runs/{id}/cancel',
      'POST /runs/{id}/replay',
      'POST /runs/{id}/rerun',
      'POST /runs/{id}/retry',
      'POST /schedules/{playbook}/fire',
      'POST /schedules/{playbook}/pause',
      'POST /schedules/{playbook}/resume',
      'POST /slack/interactions',
      'POST /workflows/{name}/demote',
      'POST /workflows/{name}/promote',
      'PUT /policy',
    ]);
  });

  it('requires IAM (SigV4) authorisation on every method but the four public routes', () => {
    expect(Object.keys(methods)).toHaveLength(43);
    expect(operatorMethods()).toHaveLength(39);
    for (const method of operatorMethods()) expect(method.Properties.AuthorizationType).toBe('AWS_IAM');
    const names = routes();
    const open = Object.values(methods).filter((m) => m.Properties.AuthorizationType === 'NONE');
    expect(open.map((m) => names[Object.values(methods).indexOf(m)]).sort()).toEqual(
      [...PUBLIC_ROUTES].sort(),
    );
  });

  it('throttles the public routes harder than the rest', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([
        Match.objectLike({
          ResourcePath: '/~1approvals~1{id}~1link',
          HttpMethod: 'GET',
          ThrottlingRateLimit: 2,
        }),
        Match.objectLike({
          ResourcePath: '/~1approvals~1{id}~1link',
          HttpMethod: 'POST',
          ThrottlingRateLimit: 2,
        }),
        Match.objectLike({
          ResourcePath: '/~1slack~1interactions',
          HttpMethod: 'POST',
          ThrottlingRateLimit: 2,
        }),
      ]),
    });
  });

  // The API is split by route group (issue 15: small bundles): each operator method reaches the
  // function its row of the table names, every API function serves some, and the auth stays IAM.
  it("proxies every operator method to its route group's API function, as the route table says", () => {
    const names = routes();
    const reached = new Set<string>();
    for (const method of operatorMethods()) {
      const name = names[Object.values(methods).indexOf(method)] as string;
      const row = ROUTES.find((route) => `${route.method} ${route.path}` === name);
      const fn = stack.api.functions[row?.fn as ApiFunction];
      expect(fn, `${name} is served by an API function`).toBeDefined();
      const fnArn = { 'Fn::GetAtt': [logicalIdOf(stack, fn), 'Arn'] };
      expect(JSON.stringify(method.Properties.Integration), name).toContain(JSON.stringify(fnArn));
      expect(method.Properties.Integration).toMatchObject({ Type: 'AWS_PROXY' });
      expect(method.Properties.AuthorizationType, name).toBe('AWS_IAM');
      reached.add(row?.fn as string);
    }
    expect([...reached].sort()).toEqual([...API_FUNCTIONS].sort());
  });

  it('validates every request: bodies and parameters', () => {
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestBody: true,
      ValidateRequestParameters: true,
    });
    for (const method of operatorMethods()) {
      expect(method.Properties.RequestValidatorId).toBeDefined();
    }
  });

  it('requires a JSON object body on POST /runs and the id on GET /runs/{id}', () => {
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      RequestModels: { 'application/json': Match.anyValue() },
    });
    template.hasResourceProperties('AWS::ApiGateway::Model', {
      ContentType: 'application/json',
      Schema: Match.objectLike({ type: 'object' }),
    });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      RequestParameters: { 'method.request.path.id': true },
    });
  });
});

describe('Api: the stage', () => {
  it('writes access logs, traces with X-Ray and throttles', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      AccessLogSetting: {
        DestinationArn: Match.anyValue(),
        Format: Match.stringLikeRegexp('requestId'),
      },
      TracingEnabled: true,
      MethodSettings: Match.arrayWith([
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          LoggingLevel: 'INFO',
          DataTraceEnabled: false,
          ThrottlingRateLimit: Match.anyValue(),
          ThrottlingBurstLimit: Match.anyValue(),
        }),
      ]),
    });
  });
});

describe('Api: the function', () => {
  it('gets the state table and the state machine ARN', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          STATE_TABLE: { Ref: logicalIdOf(stack, stack.state.table) },
          STATE_MACHINE_ARN: { Ref: logicalIdOf(stack, stack.orchestrator.stateMachine) },
          POWERTOOLS_SERVICE_NAME: 'api',
        }),
      },
    });
  });
});
