import type { Template } from 'aws-cdk-lib/assertions';
import type { Hono } from 'hono';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  API_FUNCTIONS,
  CONSOLE_FUNCTIONS,
  type ConsoleFunction,
  ROUTES,
  type RouteFunction,
} from '../../functions/api/routes.ts';
import {
  createApiFunctionApp,
  createApprovalLinksApp,
  createHooksApp,
  createLocalHttpApp,
  createOperatorConsoleApp,
  createSlackInteractionsApp,
} from '../../functions/app.ts';
import { createConsoleAuth } from '../../functions/console/auth.ts';
import { createCognitoConsoleAuth } from '../../functions/console/cognito-auth.tsx';
import { consoleRoutes } from '../../functions/console/console-app.tsx';
import { buildConsoleApp, type ConsoleHandlers } from '../../functions/console/console-kit.tsx';
import { inboxPages } from '../../functions/console/inbox-pages.tsx';
import { memoryPages } from '../../functions/console/memory-pages.tsx';
import { runControlPages } from '../../functions/console/run-control-pages.tsx';
import { viewPages } from '../../functions/console/view-pages.tsx';
import type { AiosStack } from '../../lib/cloud/aios-stack.ts';
import { localEdge } from '../../lib/local/http/server.ts';
import { logicalIdOf, synthAios } from './synth.ts';

/** Each side's routes as `METHOD /path fn auth`, where auth is what the gateway checks. */
type Row = string;
const row = (method: string, path: string, fn: string, auth: string): Row =>
  `${method} ${path} ${fn} ${auth}`;
const gatewayAuth = (auth: string) => (auth === 'operator' || auth === 'console' ? auth : 'public');
const CHECKED_BY = { AWS_IAM: 'operator', CUSTOM: 'console' } as Record<string, string>;
const fromHono = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

let stack: AiosStack;
let template: Template;
beforeAll(() => {
  ({ stack, template } = synthAios());
});

/** What the template creates: every method with its path, the function it proxies to and its auth. */
function cdkRoutes(): Row[] {
  const resources = template.findResources('AWS::ApiGateway::Resource');
  const methods = template.findResources('AWS::ApiGateway::Method');
  const pathOf = (parent: unknown): string => {
    const id = (parent as { Ref?: string }).Ref;
    const resource = id ? resources[id] : undefined;
    if (!resource) return '';
    return `${pathOf(resource.Properties.ParentId)}/${resource.Properties.PathPart}`;
  };
  const functions: Record<Exclude<RouteFunction, 'local'>, string> = {
    ...Object.fromEntries(
      Object.entries({ ...stack.api.functions, ...stack.console.functions }).map(([fn, f]) => [
        fn,
        logicalIdOf(stack, f),
      ]),
    ),
    'approval-links': logicalIdOf(stack, stack.approvals.linkFunction),
    'slack-interactions': logicalIdOf(stack, stack.approvals.slackFunction),
    hooks: logicalIdOf(stack, stack.hooks.function),
  } as Record<Exclude<RouteFunction, 'local'>, string>;
  return Object.values(methods).map((method) => {
    const integration = JSON.stringify(method.Properties.Integration);
    const fn = Object.entries(functions).find(([, id]) => integration.includes(`"${id}"`))?.[0] ?? 'none';
    const auth = CHECKED_BY[method.Properties.AuthorizationType] ?? 'public';
    return row(method.Properties.HttpMethod, pathOf(method.Properties.ResourceId) || '/', fn, auth);
  });
}

const unused = {} as never;

/** What each HTTP Lambda's hono app serves (the gateway does the auth on AWS; the table says which). */
function lambdaRoutes(): Row[] {
  const consoleAuth = createCognitoConsoleAuth({
    clientId: 'c',
    signInUrl: 'https://sign-in.example',
    callbackUrl: 'https://api.example/v1/console/auth/callback',
    logoutUrl: 'https://api.example/v1/console/login',
    verifier: unused,
  });
  // Each function's app as its Lambda builds it: its own rows and pages only.
  const consolePages: Record<ConsoleFunction, ConsoleHandlers> = {
    console: viewPages(unused),
    'console-inbox': inboxPages(unused),
    'console-run-control': runControlPages(unused),
    'console-memory': memoryPages(unused),
  };
  const apps: [RouteFunction, Hono][] = [
    ...API_FUNCTIONS.map((fn): [RouteFunction, Hono] => [fn, createApiFunctionApp([fn], unused)]),
    ...CONSOLE_FUNCTIONS.map((fn): [RouteFunction, Hono] => [
      fn,
      buildConsoleApp(consoleRoutes('aws', [fn]), consolePages[fn], consoleAuth),
    ]),
    ['approval-links', createApprovalLinksApp(unused)],
    [
      'slack-interactions',
      createSlackInteractionsApp({ approvals: unused, signingSecret: unused, slack: unused }),
    ],
    ['hooks', createHooksApp(unused)],
  ];
  // hono lists each middleware of a route as a route of its own: one row per method and path.
  const rows = apps.flatMap(([fn, app]) =>
    app.routes.map((route) => {
      const path = fromHono(route.path);
      const spec = ROUTES.find((r) => r.method === route.method && r.path === path);
      return row(route.method, path, fn, spec ? gatewayAuth(spec.auth) : 'not in the table');
    }),
  );
  return [...new Set(rows)];
}

describe('the route table is what CDK, the Lambdas and the local server expose', () => {
  const expected = ROUTES.filter((route) => !('localOnly' in route && route.localOnly)).map((route) =>
    row(route.method, route.path, route.fn, gatewayAuth(route.auth)),
  );

  it('CDK creates exactly the routes of the table that are not local-only, each on its function with its auth', () => {
    expect(cdkRoutes().sort()).toEqual([...expected].sort());
  });

  it("the Lambdas' hono apps serve exactly those routes, each in the function that owns it", () => {
    expect(lambdaRoutes().sort()).toEqual([...expected].sort());
  });

  it('the local server serves every route of the table, and asks the token on exactly the operator ones', async () => {
    const token = 'c'.repeat(64);
    // The runtime's own app builder and edge; the handlers only answer, so nothing is touched.
    const handlers = Object.fromEntries(
      ROUTES.map((route) => [route.id, async () => ({ statusCode: 204, body: '' })]),
    );
    const console = createOperatorConsoleApp({
      ...(unused as object),
      auth: createConsoleAuth({
        apiToken: token,
        sessionSecret: 's',
        clock: { now: () => new Date() },
        clientKey: () => 'x',
      }),
    } as never);
    const app = createLocalHttpApp(handlers as never, {
      before: localEdge(token, { error: () => {} }),
      console,
    });
    // hono lists each middleware of a route as a route of its own: one entry per method and path.
    const served = [...new Set(app.routes.map((route) => `${route.method} ${fromHono(route.path)}`))].sort();
    expect(served).toEqual(ROUTES.map((route) => `${route.method} ${route.path}`).sort());
    for (const route of ROUTES) {
      const path = route.path.replace(/\{[^}]+\}/g, 'x');
      const response = await app.request(path, { method: route.method });
      // The bearer challenge, not the status: the console's login answers a missing token 401 itself.
      const asked = response.status === 401 && response.headers.has('www-authenticate');
      expect(asked, `${route.method} ${route.path}`).toBe(route.auth === 'operator');
    }
  });
});
