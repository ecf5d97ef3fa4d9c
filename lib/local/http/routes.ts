import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { HttpRequestError, HttpServerConfigError } from './errors.ts';

/** An API Gateway REST (v1) proxy-integration Lambda handler, e.g. a middy-wrapped one. */
export type ApiGatewayHandler = (
  event: APIGatewayProxyEvent,
  context: Context,
) => Promise<APIGatewayProxyResult>;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';

export interface LocalRoute {
  /** `ANY` matches every method, as an API Gateway ANY method does. */
  method: HttpMethod | 'ANY';
  /** An API Gateway resource path: `/runs`, `/runs/{id}`, `/files/{proxy+}`. */
  path: string;
  handler: ApiGatewayHandler;
  /** Name in the Lambda `Context`; default derived from method and path. */
  functionName?: string;
  /** What `context.getRemainingTimeInMillis()` counts down from, and when the server answers 504. */
  timeoutMs?: number;
}

type Segment =
  | { kind: 'literal'; value: string }
  | { kind: 'param'; name: string }
  | { kind: 'greedy'; name: string };

export interface CompiledTemplate {
  path: string;
  segments: Segment[];
  routes: LocalRoute[];
}

export interface RouteMatch {
  route: LocalRoute;
  template: CompiledTemplate;
  pathParameters: Record<string, string> | null;
}

function parseTemplate(path: string): Segment[] {
  if (!path.startsWith('/')) throw new HttpServerConfigError(`Route path "${path}" must start with "/"`);
  const parts = path === '/' ? [] : path.slice(1).split('/');
  const names = new Set<string>();
  return parts.map((part, index): Segment => {
    const param = /^\{([A-Za-z0-9_]+)(\+?)\}$/.exec(part);
    if (!param) {
      if (part === '' || /[{}]/.test(part)) {
        throw new HttpServerConfigError(`Route path "${path}" has an invalid segment "${part}"`);
      }
      return { kind: 'literal', value: part };
    }
    const name = param[1] as string;
    if (names.has(name))
      throw new HttpServerConfigError(`Route path "${path}" repeats the parameter "${name}"`);
    names.add(name);
    if (param[2] === '+') {
      if (index !== parts.length - 1) {
        throw new HttpServerConfigError(`Route path "${path}": a greedy parameter must be the last segment`);
      }
      return { kind: 'greedy', name };
    }
    return { kind: 'param', name };
  });
}

// API Gateway prefers a literal segment to a parameter, and a parameter to a greedy one.
const RANK = { literal: 0, param: 1, greedy: 2 } as const;
function bySpecificity(a: CompiledTemplate, b: CompiledTemplate): number {
  const length = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < length; i += 1) {
    const x = a.segments[i];
    const y = b.segments[i];
    if (!x || !y) return x ? -1 : 1;
    if (RANK[x.kind] !== RANK[y.kind]) return RANK[x.kind] - RANK[y.kind];
  }
  return 0;
}

/** Groups routes by path template, most specific first; throws on invalid or duplicate routes. */
export function compileRoutes(routes: readonly LocalRoute[]): CompiledTemplate[] {
  const templates = new Map<string, CompiledTemplate>();
  for (const route of routes) {
    const method = route.method.toUpperCase();
    let template = templates.get(route.path);
    if (!template) {
      template = { path: route.path, segments: parseTemplate(route.path), routes: [] };
      templates.set(route.path, template);
    }
    if (template.routes.some((existing) => existing.method.toUpperCase() === method)) {
      throw new HttpServerConfigError(`Route ${method} ${route.path} is declared twice`);
    }
    template.routes.push({ ...route, method: method as LocalRoute['method'] });
  }
  return [...templates.values()].sort(bySpecificity);
}

function decodeSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HttpRequestError(400, `The path segment "${raw}" is not valid percent-encoding`);
  }
}

function matchTemplate(
  template: CompiledTemplate,
  rawSegments: string[],
): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < template.segments.length; i += 1) {
    const segment = template.segments[i] as Segment;
    if (segment.kind === 'greedy') {
      const rest = rawSegments.slice(i);
      if (rest.length === 0 || rest.every((part) => part === '')) return undefined;
      params[segment.name] = rest.map(decodeSegment).join('/');
      return params;
    }
    const raw = rawSegments[i];
    if (raw === undefined || raw === '') return undefined;
    if (segment.kind === 'literal') {
      if (decodeSegment(raw) !== segment.value) return undefined;
    } else {
      params[segment.name] = decodeSegment(raw);
    }
  }
  return rawSegments.length === template.segments.length ? params : undefined;
}

/**
 * Finds the route for a request. 404 when no template matches the path, 405 (with `Allow`) when one
 * does but not for this method, 400 for a path that is not valid percent-encoding.
 */
export function matchRoute(
  templates: readonly CompiledTemplate[],
  method: string,
  rawPath: string,
): RouteMatch {
  // A trailing slash is ignored, as API Gateway ignores it.
  const trimmed = rawPath.length > 1 ? rawPath.replace(/\/+$/, '') : rawPath;
  const rawSegments = trimmed === '/' || trimmed === '' ? [] : trimmed.slice(1).split('/');
  for (const template of templates) {
    const params = matchTemplate(template, rawSegments);
    if (!params) continue;
    const route =
      template.routes.find((candidate) => candidate.method === method.toUpperCase()) ??
      template.routes.find((candidate) => candidate.method === 'ANY');
    if (!route) {
      const allow = template.routes.map((candidate) => candidate.method).join(', ');
      throw new HttpRequestError(
        405,
        `Method ${method} is not allowed on ${template.path}; allowed: ${allow}`,
        {
          Allow: allow,
        },
      );
    }
    return { route, template, pathParameters: Object.keys(params).length > 0 ? params : null };
  }
  throw new HttpRequestError(404, `No route for ${method} ${rawPath}`);
}
