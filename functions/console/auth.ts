import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Clock } from '../core/ports.ts';
import { href } from './pages/layout.tsx';
import { LoginPage } from './pages/login.tsx';

export const SESSION_COOKIE = 'aios_session';
const SESSION_HOURS = 12;
/** Wrong tokens in a row a client may send before each further try waits. */
export const FREE_LOGIN_FAILURES = 10;
const MAX_LOGIN_DELAY_MS = 15 * 60_000;
/** Clients remembered by the slow-down; beyond this the oldest is forgotten, so guessing from many addresses cannot fill memory. */
const MAX_CLIENTS = 10_000;

export interface Session {
  sid: string;
  /** The CSRF token every state-changing form of this session carries. */
  csrf: string;
}

export interface ConsoleAuthOptions {
  /** The operator's API token: the only thing that opens a session. */
  apiToken: string;
  /** Signs session cookies and derives CSRF tokens; locally a generated file under .aios/. */
  sessionSecret: string;
  clock: Clock;
  /** Who is trying to log in, for the slow-down: the client address where the runtime knows it. */
  clientKey: (c: Context) => string;
  /** Overrides Secure-when-HTTPS (the URL's scheme), e.g. behind a proxy that terminates TLS. */
  secureCookie?: boolean;
}

type Env = { Variables: { session: Session } };

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
export const sameSecret = (expected: string, presented: string) =>
  timingSafeEqual(digest(expected), digest(presented));

/** A session cookie is `<sid>.<expires ms>.<hmac>`: nothing in it is a secret, and only the server can make one. */
function sessionCodec(secret: string) {
  const mac = (what: string) => createHmac('sha256', secret).update(what).digest('base64url');
  return {
    issue(now: Date): string {
      const sid = randomBytes(18).toString('base64url');
      const body = `${sid}.${now.getTime() + SESSION_HOURS * 3_600_000}`;
      return `${body}.${mac(`session:${body}`)}`;
    },
    read(cookie: string | undefined, now: Date): Session | undefined {
      const parts = cookie?.split('.');
      if (parts?.length !== 3) return undefined;
      const [sid, expires, signature] = parts as [string, string, string];
      if (!sameSecret(mac(`session:${sid}.${expires}`), signature)) return undefined;
      if (!(Number(expires) > now.getTime())) return undefined;
      return { sid, csrf: mac(`csrf:${sid}`) };
    },
  };
}

/** Per client: wrong tokens in a row, and when the next try may be checked. */
function loginThrottle(clock: Clock) {
  const clients = new Map<string, { failures: number; notBefore: number }>();
  return {
    /** Milliseconds the client must still wait; 0 when its try may be checked. */
    waitMs(key: string): number {
      const state = clients.get(key);
      return state ? Math.max(0, state.notBefore - clock.now().getTime()) : 0;
    },
    failed(key: string) {
      const state = clients.get(key) ?? { failures: 0, notBefore: 0 };
      state.failures += 1;
      const over = state.failures - FREE_LOGIN_FAILURES;
      // From the tenth wrong token on, each try waits twice as long as the last: 1 s, 2 s, 4 s, … 15 min.
      state.notBefore =
        over >= 0 ? clock.now().getTime() + Math.min(MAX_LOGIN_DELAY_MS, 1000 * 2 ** over) : 0;
      clients.delete(key);
      clients.set(key, state);
      if (clients.size > MAX_CLIENTS) clients.delete(clients.keys().next().value as string);
    },
    succeeded(key: string) {
      clients.delete(key);
    },
  };
}

const isStateChanging = (method: string) => !['GET', 'HEAD', 'OPTIONS'].includes(method);

export async function formField(c: Context, name: string): Promise<string | undefined> {
  const type = c.req.header('content-type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data'))
    return undefined;
  const value = (await c.req.parseBody())[name];
  return typeof value === 'string' ? value : undefined;
}

export const noStore = (c: Context) => c.header('cache-control', 'no-store');

/**
 * The console's sessions, locally: `routes` serves GET/POST /login, POST /logout and the sign-in
 * callback (which has nothing to do without Cognito); `requireSession` guards
 * every other console route. Without a session a request is redirected to the login page with an
 * empty body; a state-changing request must carry its session's CSRF token in the form (`_csrf`),
 * or it is refused before its handler runs.
 */
export function createConsoleAuth(options: ConsoleAuthOptions): ConsoleAuth {
  const codec = sessionCodec(options.sessionSecret);
  const throttle = loginThrottle(options.clock);
  const secure = (c: Context) => options.secureCookie ?? new URL(c.req.url).protocol === 'https:';

  const loginPage = (c: Context, status: 200 | 401 | 429, error?: string) => {
    noStore(c);
    return c.html(`<!doctype html>${LoginPage({ error })}`, status);
  };

  const routes = new Hono();
  routes.get('/login', (c) => loginPage(c, 200));
  // Cognito's hosted sign-in comes back here on AWS; locally there is none, so this is the login page.
  routes.get('/auth/callback', (c) => c.redirect(href('/login'), 303));
  routes.post('/login', async (c) => {
    const key = options.clientKey(c);
    const wait = throttle.waitMs(key);
    if (wait > 0) {
      c.header('retry-after', String(Math.ceil(wait / 1000)));
      return loginPage(c, 429, `Too many wrong tokens: try again in ${Math.ceil(wait / 1000)} s.`);
    }
    const token = await formField(c, 'token');
    if (!token || !sameSecret(options.apiToken, token)) {
      throttle.failed(key);
      return loginPage(c, 401, 'That is not the API token.');
    }
    throttle.succeeded(key);
    setCookie(c, SESSION_COOKIE, codec.issue(options.clock.now()), {
      httpOnly: true,
      sameSite: 'Strict',
      secure: secure(c),
      path: href(''),
      maxAge: SESSION_HOURS * 3600,
    });
    return c.redirect(href('/runs'), 303);
  });
  routes.post('/logout', async (c) => {
    const session = codec.read(getCookie(c, SESSION_COOKIE), options.clock.now());
    if (session && sameSecret(session.csrf, (await formField(c, '_csrf')) ?? '')) {
      deleteCookie(c, SESSION_COOKIE, { path: href(''), secure: secure(c) });
    }
    return c.redirect(href('/login'), 303);
  });

  const requireSession = sessionGuard((c) => codec.read(getCookie(c, SESSION_COOKIE), options.clock.now()));

  return { routes, requireSession };
}

/**
 * Guards a console route with the session `read` finds in the request (the local signed cookie, or
 * on AWS the verified Cognito token): without one, a redirect to the login page with an empty
 * body; a state-changing request must carry the session's CSRF token in its form (`_csrf`), or it
 * is refused before its handler runs.
 */
export function sessionGuard(
  read: (c: Context) => Session | undefined | Promise<Session | undefined>,
): MiddlewareHandler<Env> {
  return async (c, next) => {
    noStore(c);
    const session = await read(c);
    if (!session) return c.body(null, 303, { location: href('/login') });
    if (isStateChanging(c.req.method)) {
      const presented = await formField(c, '_csrf');
      if (!presented || !sameSecret(session.csrf, presented))
        return c.text(
          'This form is stale or was not sent by the console; reload the page and try again.',
          403,
        );
    }
    c.set('session', session);
    await next();
  };
}

/** The console's way in and its guard: `routes` (login, logout, …) mounted at the console's base. */
export interface ConsoleAuth {
  routes: Hono;
  requireSession: MiddlewareHandler<Env>;
}
export type ConsoleEnv = Env;
