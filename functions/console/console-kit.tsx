/** @jsxImportSource hono/jsx */
import type { Context } from 'hono';
import { Hono } from 'hono';
import type { JSX } from 'hono/jsx/jsx-runtime';
import * as z from 'zod';
import type { RouteSpec } from '../api/route-spec.ts';
import { ConflictError, NotFoundError, ValidationError } from '../core/errors.ts';
import { logger } from '../shared/powertools.ts';
import type { ConsoleAuth, ConsoleEnv } from './auth.ts';
import { CONSOLE_BASE } from './pages/layout.tsx';

/*
 * What every part of the console shares: a page's rendering, its form fields, and the app that
 * serves a set of the table's console rows behind the session. The pages themselves are in
 * view-pages.tsx, decision-pages.tsx and memory-pages.tsx, one per console function on AWS, so
 * each function loads only its own pages and services (functions/api/route-spec.ts).
 */

export type C = Context<ConsoleEnv>;
export type ConsoleHandlers = Record<string, (c: C) => Response | Promise<Response>>;
export const page = (c: C, element: JSX.Element) => c.html(`<!doctype html>${element}`);
export const csrfOf = (c: C) => c.get('session').csrf;
export const form = async (c: C) => (await c.req.parseBody()) as Record<string, string | File>;
export const field = (body: Record<string, string | File>, name: string) =>
  typeof body[name] === 'string' ? (body[name] as string) : undefined;
const honoPath = (path: string) => path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');

/** Served by the auth's own routes (locally the token login, on AWS Cognito's sign-in). */
const SESSION_ROUTES = new Set([
  'consoleLoginForm',
  'consoleLogin',
  'consoleLogout',
  'consoleSignInCallback',
]);

/**
 * The console app serving exactly `routes` (console rows of the table) with `handlers`: every one
 * but the login and logout behind a session; those are the auth's own routes, mounted here when
 * `routes` has them.
 */
export function buildConsoleApp(
  routes: readonly RouteSpec[],
  handlers: ConsoleHandlers,
  auth: ConsoleAuth,
): Hono {
  const guard = auth.requireSession;
  const app = new Hono<ConsoleEnv>({ strict: false });
  for (const route of routes) {
    // Login, logout and the sign-in callback are the session's own routes, served by the auth (mounted below).
    if (SESSION_ROUTES.has(route.id)) continue;
    const handler = handlers[route.id];
    if (!handler) throw new Error(`console route ${route.id} has no handler`);
    if (route.auth === 'console-sign-in') app.on(route.method, honoPath(route.path), handler);
    else app.on(route.method, honoPath(route.path), guard, handler);
  }
  // The session's own routes are one function's rows (the console's way in): only where they are.
  if (routes.some((route) => SESSION_ROUTES.has(route.id))) app.route(CONSOLE_BASE, auth.routes);
  app.onError((error, c) => {
    if (error instanceof z.ZodError || error instanceof ValidationError)
      return c.text(`Bad request: ${error.message}`, 400);
    if (error instanceof NotFoundError) return c.text(error.message, 404);
    if (error instanceof ConflictError) return c.text(error.message, 409);
    logger.error('console request failed', { error });
    return c.text('Something went wrong; the server log has the details.', 500);
  });
  return app as unknown as Hono;
}
