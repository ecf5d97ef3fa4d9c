/** @jsxImportSource hono/jsx */
import type { Hono } from 'hono';
import { CONSOLE_ROUTES } from '../api/console-routes.ts';
import { CONSOLE_FUNCTIONS, type ConsoleFunction, type RouteSpec } from '../api/route-spec.ts';
import type { ConsoleAuth } from './auth.ts';
import { buildConsoleApp } from './console-kit.tsx';
import { type InboxPagesDeps, inboxPages } from './inbox-pages.tsx';
import { type MemoryPagesDeps, memoryPages } from './memory-pages.tsx';
import { type RunControlPagesDeps, runControlPages } from './run-control-pages.tsx';
import { type ViewPagesDeps, viewPages } from './view-pages.tsx';

export interface ConsoleDeps
  extends ViewPagesDeps,
    Omit<InboxPagesDeps, 'approvals'>,
    RunControlPagesDeps,
    MemoryPagesDeps {
  approvals: InboxPagesDeps['approvals'];
  auth: ConsoleAuth;
  /** Which rows to serve: on AWS the local-only ones (the token login) are not there. Default local. */
  target?: 'aws' | 'local';
}

/**
 * The rows of the console's functions (on AWS three, locally one app serves them all): each row
 * once. From the console's own rows, so that a console function does not load the whole table.
 */
export const consoleRoutes = (
  target: 'aws' | 'local' = 'local',
  fns: readonly ConsoleFunction[] = CONSOLE_FUNCTIONS,
): readonly RouteSpec[] =>
  CONSOLE_ROUTES.filter(
    (route: RouteSpec) =>
      (fns as readonly string[]).includes(route.fn) && (target === 'local' || !route.localOnly),
  );

/**
 * The operator console (server-rendered pages, forms with the session's CSRF token), serving
 * exactly the table's console rows: every one but the login and logout behind a session.
 */
export function createConsoleApp(deps: ConsoleDeps): Hono {
  return buildConsoleApp(
    consoleRoutes(deps.target),
    { ...viewPages(deps), ...inboxPages(deps), ...runControlPages(deps), ...memoryPages(deps) },
    deps.auth,
  );
}
