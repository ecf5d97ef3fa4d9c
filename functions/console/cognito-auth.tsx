/** @jsxImportSource hono/jsx */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { Context } from 'hono';
import { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import * as z from 'zod';
import { logger } from '../shared/powertools.ts';
import {
  type ConsoleAuth,
  type ConsoleEnv,
  noStore,
  SESSION_COOKIE,
  sameSecret,
  sessionGuard,
} from './auth.ts';
import { type IdTokenVerifier, operatorFromCookies } from './cognito-session.ts';
import { href, Layout } from './pages/layout.tsx';

/** Holds the sign-in's state and PKCE verifier between the redirect to Cognito and its callback. */
export const SIGN_IN_COOKIE = 'aios_sign_in';
const SIGN_IN_MINUTES = 10;

export interface CognitoConsoleAuthOptions {
  /** The console's app client (public: PKCE instead of a client secret, so no secret sits in the stack). */
  clientId: string;
  /** The hosted sign-in's base URL, `https://<prefix>.auth.<region>.amazoncognito.com`. */
  signInUrl: string;
  /** The callback route's public URL, exactly as registered on the client. */
  callbackUrl: string;
  /** Where Cognito's logout sends the operator, as registered on the client. */
  logoutUrl: string;
  verifier: IdTokenVerifier;
  fetch?: typeof fetch;
}

const CallbackQuerySchema = z.union([
  z.object({ code: z.string().min(1).max(2048), state: z.string().min(1).max(200) }),
  z.object({ error: z.string().max(200) }),
]);
const TokenResponseSchema = z.object({
  id_token: z.string().min(1).max(4000),
  expires_in: z.number().int().positive().max(86_400),
});

/**
 * The session's CSRF token: a MAC keyed by the ID token, which only the operator's HttpOnly cookie
 * and Cognito hold, so a cross-site page cannot compute it, and no server secret is needed. It
 * changes when the token is renewed; a form older than that asks to be reloaded.
 */
const csrfFor = (idToken: string) =>
  createHmac('sha256', idToken).update('aios console csrf').digest('base64url');

const signInProblem = (c: Context, message: string) => {
  noStore(c);
  return c.html(
    `<!doctype html>${Layout({
      title: 'Sign-in did not complete',
      csrf: null,
      children: (
        <p>
          {message} <a href={href('/login')}>Sign in again</a>
        </p>
      ),
    })}`,
    400,
  );
};

/**
 * The console's sessions on AWS, with Cognito's hosted sign-in (authorization code + PKCE): GET
 * /login sends the operator to Cognito with a fresh state and code challenge; the callback checks
 * the state, exchanges the code for tokens and keeps the ID token in an HttpOnly, Secure,
 * SameSite=Strict cookie scoped to the console; `requireSession` verifies that token on every
 * request (the API's authorizer has already done so at the edge) and derives the CSRF token.
 */
export function createCognitoConsoleAuth(options: CognitoConsoleAuthOptions): ConsoleAuth {
  const send = options.fetch ?? fetch;
  const endpoint = (path: string) => new URL(path, options.signInUrl);
  const requireSession = sessionGuard(async (c) => {
    const operator = await operatorFromCookies(options.verifier, c.req.header('cookie'));
    return operator && { sid: operator.sub, csrf: csrfFor(operator.token) };
  });

  const routes = new Hono<ConsoleEnv>();
  routes.get('/login', (c) => {
    const state = randomBytes(24).toString('base64url');
    const verifier = randomBytes(48).toString('base64url');
    // Lax, not Strict: Cognito's redirect back is a cross-site navigation, and it must carry this.
    setCookie(c, SIGN_IN_COOKIE, `${state}.${verifier}`, {
      httpOnly: true,
      secure: true,
      sameSite: 'Lax',
      path: href('/auth/callback'),
      maxAge: SIGN_IN_MINUTES * 60,
    });
    const authorize = endpoint('/oauth2/authorize');
    authorize.search = new URLSearchParams({
      response_type: 'code',
      client_id: options.clientId,
      redirect_uri: options.callbackUrl,
      scope: 'openid email',
      state,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    noStore(c);
    return c.redirect(authorize.toString(), 303);
  });

  routes.get('/auth/callback', async (c) => {
    const query = CallbackQuerySchema.safeParse(c.req.query());
    const [state, verifier] = (getCookie(c, SIGN_IN_COOKIE) ?? '').split('.');
    deleteCookie(c, SIGN_IN_COOKIE, { path: href('/auth/callback'), secure: true });
    if (!query.success) return signInProblem(c, 'The sign-in answer was not understood.');
    if ('error' in query.data) return signInProblem(c, 'Cognito did not sign you in.');
    if (!state || !verifier || !sameSecret(state, query.data.state))
      return signInProblem(c, 'This sign-in was started elsewhere or too long ago.');
    const response = await send(endpoint('/oauth2/token'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: options.clientId,
        code: query.data.code,
        redirect_uri: options.callbackUrl,
        code_verifier: verifier,
      }).toString(),
    });
    const tokens = response.ok ? TokenResponseSchema.safeParse(await response.json()) : undefined;
    if (!tokens?.success) {
      logger.warn('Cognito refused the sign-in code', { status: response.status });
      return signInProblem(c, 'Cognito refused the sign-in.');
    }
    const operator = await operatorFromCookies(options.verifier, `${SESSION_COOKIE}=${tokens.data.id_token}`);
    if (!operator) return signInProblem(c, 'The sign-in token was not valid for this console.');
    setCookie(c, SESSION_COOKIE, tokens.data.id_token, {
      httpOnly: true,
      secure: true,
      sameSite: 'Strict',
      path: href(''),
      maxAge: tokens.data.expires_in,
    });
    noStore(c);
    // A page that moves on, not a redirect: a redirect would still belong to Cognito's cross-site
    // navigation, and the browser would leave the new SameSite=Strict cookie out of it.
    return c.html(
      `<!doctype html>${Layout({
        title: 'Signed in',
        csrf: null,
        refreshTo: href('/runs'),
        children: (
          <p>
            <a href={href('/runs')}>Go on to the console</a>
          </p>
        ),
      })}`,
    );
  });

  routes.post('/logout', requireSession, (c) => {
    deleteCookie(c, SESSION_COOKIE, { path: href(''), secure: true });
    const logout = endpoint('/logout');
    logout.search = new URLSearchParams({
      client_id: options.clientId,
      logout_uri: options.logoutUrl,
    }).toString();
    return c.redirect(logout.toString(), 303);
  });

  return { routes: routes as unknown as Hono, requireSession };
}
