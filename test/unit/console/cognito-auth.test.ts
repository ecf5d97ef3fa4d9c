import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { type ConsoleEnv, SESSION_COOKIE } from '../../../functions/console/auth.ts';
import { createCognitoConsoleAuth, SIGN_IN_COOKIE } from '../../../functions/console/cognito-auth.tsx';
import { CLIENT_ID, localPool, verifierFor } from '../../support/cognito-tokens.ts';

const SIGN_IN = 'https://aios-test.auth.eu-west-1.amazoncognito.com';
const CALLBACK = 'https://api.example/v1/console/auth/callback';
const SECRET_DATA = 'customer acme owes 1500';
const pool = localPool();

/** The console's auth on a tiny app, with Cognito's token endpoint played by `tokenEndpoint`. */
function consoleApp(tokenEndpoint: (body: URLSearchParams) => Response) {
  const exchanges: URLSearchParams[] = [];
  const changes: string[] = [];
  const auth = createCognitoConsoleAuth({
    clientId: CLIENT_ID,
    signInUrl: SIGN_IN,
    callbackUrl: CALLBACK,
    logoutUrl: 'https://api.example/v1/console/login',
    verifier: verifierFor(pool),
    fetch: async (url, init) => {
      expect(String(url)).toBe(`${SIGN_IN}/oauth2/token`);
      const body = new URLSearchParams(String(init?.body));
      exchanges.push(body);
      return tokenEndpoint(body);
    },
  });
  const app = new Hono();
  app.route('/console', auth.routes);
  const pages = new Hono<ConsoleEnv>();
  pages.use('*', auth.requireSession);
  pages.get('/runs', (c) =>
    c.html(`<p>${SECRET_DATA}</p><input name="_csrf" value="${c.get('session').csrf}">`),
  );
  pages.post('/runs/r1/cancel', (c) => {
    changes.push('cancelled r1');
    return c.text('cancelled');
  });
  app.route('/console', pages);
  return { app, exchanges, changes };
}

const cookieOf = (response: Response, name: string) =>
  response.headers
    .getSetCookie()
    .find((cookie) => cookie.startsWith(`${name}=`))
    ?.split(';')[0] ?? '';

async function startSignIn(app: Hono) {
  const login = await app.request('/console/login');
  expect(login.status).toBe(303);
  const authorize = new URL(login.headers.get('location') ?? '');
  return { login, authorize, pending: cookieOf(login, SIGN_IN_COOKIE) };
}

describe('the console on AWS: Cognito hosted sign-in with PKCE, the session in a cookie', () => {
  it('sends the operator to the hosted sign-in with a state and an S256 code challenge it keeps in a Lax cookie', async () => {
    const { app } = consoleApp(() => new Response('', { status: 500 }));
    const { login, authorize, pending } = await startSignIn(app);
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${SIGN_IN}/oauth2/authorize`);
    expect(authorize.searchParams.get('client_id')).toBe(CLIENT_ID);
    expect(authorize.searchParams.get('redirect_uri')).toBe(CALLBACK);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    const [state, verifier] = pending.slice(SIGN_IN_COOKIE.length + 1).split('.');
    expect(authorize.searchParams.get('state')).toBe(state);
    expect(authorize.searchParams.get('code_challenge')).toBe(
      createHash('sha256')
        .update(verifier ?? '')
        .digest('base64url'),
    );
    const setCookie = login.headers.getSetCookie().join('\n');
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/Secure/);
    expect(setCookie).toMatch(/SameSite=Lax/);
  });

  it('exchanges the code with the PKCE verifier, sets the ID token HttpOnly/Secure/Strict, and opens the pages', async () => {
    const idToken = pool.idToken();
    const { app, exchanges } = consoleApp(() =>
      Response.json({ id_token: idToken, access_token: 'access', expires_in: 3600, token_type: 'Bearer' }),
    );
    const { authorize, pending } = await startSignIn(app);
    const state = authorize.searchParams.get('state') ?? '';
    const callback = await app.request(`/console/auth/callback?code=the-code&state=${state}`, {
      headers: { cookie: pending },
    });
    expect(callback.status).toBe(200);
    const page = await callback.text();
    // A page that moves on (not a redirect), so the Strict cookie goes along; no token in it.
    expect(page).toContain('http-equiv="refresh"');
    expect(page).not.toContain(idToken);
    expect(exchanges).toHaveLength(1);
    expect(Object.fromEntries(exchanges[0] ?? [])).toEqual({
      grant_type: 'authorization_code',
      client_id: CLIENT_ID,
      code: 'the-code',
      redirect_uri: CALLBACK,
      code_verifier: pending.split('.')[1],
    });
    const session = callback.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`)) ?? '';
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/Secure/);
    expect(session).toMatch(/SameSite=Strict/);
    expect(session).toMatch(/Path=\/console/);

    const cookie = cookieOf(callback, SESSION_COOKIE);
    const runs = await app.request('/console/runs', { headers: { cookie } });
    expect(runs.status).toBe(200);
    const html = await runs.text();
    expect(html).toContain(SECRET_DATA);
    expect(html).not.toContain(idToken);
  });

  it('refuses a callback whose state is not the one it sent, without asking Cognito', async () => {
    const { app, exchanges } = consoleApp(() =>
      Response.json({ id_token: pool.idToken(), expires_in: 3600 }),
    );
    const { pending } = await startSignIn(app);
    for (const headers of [{ cookie: pending }, {}] as Record<string, string>[]) {
      const response = await app.request('/console/auth/callback?code=c&state=forged', { headers });
      expect(response.status).toBe(400);
      expect(cookieOf(response, SESSION_COOKIE)).toBe('');
    }
    expect(exchanges).toHaveLength(0);
  });

  it('refuses a token Cognito did not sign for this console', async () => {
    const { app } = consoleApp(() => Response.json({ id_token: localPool().idToken(), expires_in: 3600 }));
    const { authorize, pending } = await startSignIn(app);
    const response = await app.request(
      `/console/auth/callback?code=c&state=${authorize.searchParams.get('state')}`,
      { headers: { cookie: pending } },
    );
    expect(response.status).toBe(400);
    expect(cookieOf(response, SESSION_COOKIE)).toBe('');
  });

  it('sends a request without a valid session to the login page with nothing in the body', async () => {
    const { app } = consoleApp(() => new Response('', { status: 500 }));
    const hourAgo = Math.floor(Date.now() / 1000) - 3600;
    for (const cookie of ['', `${SESSION_COOKIE}=${pool.idToken({ exp: hourAgo, iat: hourAgo - 60 })}`]) {
      const response = await app.request('/console/runs', { headers: { cookie } });
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe('/console/login');
      expect(await response.text()).toBe('');
    }
  });

  it("changes nothing on a POST without the session's CSRF token, and acts with it", async () => {
    const { app, changes } = consoleApp(() => new Response('', { status: 500 }));
    const cookie = `${SESSION_COOKIE}=${pool.idToken()}`;
    const form = (fields: Record<string, string>) => ({
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
    expect((await app.request('/console/runs/r1/cancel', form({}))).status).toBe(403);
    expect((await app.request('/console/runs/r1/cancel', form({ _csrf: 'guess' }))).status).toBe(403);
    // A CSRF token of another session (another token) is no good either.
    const other = await app.request('/console/runs', {
      headers: { cookie: `${SESSION_COOKIE}=${pool.idToken({ sub: 'x' })}` },
    });
    const otherCsrf = /value="([^"]+)"/.exec(await other.text())?.[1] ?? '';
    expect((await app.request('/console/runs/r1/cancel', form({ _csrf: otherCsrf }))).status).toBe(403);
    expect(changes).toEqual([]);
    const page = await (await app.request('/console/runs', { headers: { cookie } })).text();
    const csrf = /value="([^"]+)"/.exec(page)?.[1] ?? '';
    expect((await app.request('/console/runs/r1/cancel', form({ _csrf: csrf }))).status).toBe(200);
    expect(changes).toEqual(['cancelled r1']);
  });
});
