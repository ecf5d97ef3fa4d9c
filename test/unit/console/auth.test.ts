import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import {
  type ConsoleEnv,
  createConsoleAuth,
  FREE_LOGIN_FAILURES,
  SESSION_COOKIE,
} from '../../../functions/console/auth.ts';

const TOKEN = 'a'.repeat(64);
const SECRET = 'b'.repeat(64);
const SECRET_DATA = 'customer acme owes 1500';

function consoleApp(options: { secureCookie?: boolean } = {}) {
  let now = new Date('2026-11-30T12:00:00.000Z');
  const changes: string[] = [];
  const auth = createConsoleAuth({
    apiToken: TOKEN,
    sessionSecret: SECRET,
    clock: { now: () => now },
    clientKey: (c) => c.req.header('x-test-client') ?? 'one',
    ...options,
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
  return {
    app,
    changes,
    advance: (ms: number) => {
      now = new Date(now.getTime() + ms);
    },
  };
}

const form = (fields: Record<string, string>, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(fields).toString(),
});

async function login(app: Hono, token = TOKEN, client = 'one') {
  return app.request('http://aios.test/console/login', form({ token }, { 'x-test-client': client }));
}

const cookieOf = (response: Response) => (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';

async function session(app: Hono) {
  const cookie = cookieOf(await login(app));
  const page = await (await app.request('http://aios.test/console/runs', { headers: { cookie } })).text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
  return { cookie, csrf };
}

describe('console login', () => {
  it('sets an HttpOnly, SameSite=Strict session cookie scoped to the console, and no token anywhere', async () => {
    const { app } = consoleApp();
    const response = await login(app);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/console/runs');
    const cookie = response.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=`));
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/console');
    expect(cookie).not.toContain('Secure');
    expect(cookie).not.toContain(TOKEN);
    expect(response.headers.get('location')).not.toContain(TOKEN);
  });

  it('marks the cookie Secure when the console is served over HTTPS', async () => {
    const { app } = consoleApp();
    const response = await app.request('https://aios.test/console/login', form({ token: TOKEN }));
    expect(response.headers.get('set-cookie')).toContain('Secure');
  });

  it('refuses a wrong token without a cookie', async () => {
    const { app } = consoleApp();
    const response = await login(app, 'nope');
    expect(response.status).toBe(401);
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(await response.text()).toContain('That is not the API token.');
  });

  it('slows a client down after ten wrong tokens in a row, doubling the wait, and only that client', async () => {
    const { app, advance } = consoleApp();
    for (let i = 0; i < FREE_LOGIN_FAILURES - 1; i += 1)
      expect((await login(app, `wrong-${i}`)).status).toBe(401);
    // The tenth wrong token is refused and starts the wait.
    expect((await login(app, 'wrong-10')).status).toBe(401);
    const slowed = await login(app); // even the right token waits
    expect(slowed.status).toBe(429);
    expect(slowed.headers.get('retry-after')).toBe('1');
    expect(slowed.headers.get('set-cookie')).toBeNull();
    expect((await login(app, TOKEN, 'two')).status).toBe(303);
    advance(1000);
    expect((await login(app, 'wrong-11')).status).toBe(401);
    expect((await login(app)).headers.get('retry-after')).toBe('2');
    advance(2000);
    expect((await login(app)).status).toBe(303);
    // A success forgets the failures.
    expect((await login(app, 'wrong-again')).status).toBe(401);
    expect((await login(app)).status).toBe(303);
  });
});

describe('console sessions', () => {
  it('redirects every console route to the login page with nothing in the body', async () => {
    const { app, changes } = consoleApp();
    for (const [method, path] of [
      ['GET', '/console/runs'],
      ['POST', '/console/runs/r1/cancel'],
    ] as const) {
      const response = await app.request(`http://aios.test${path}`, { method });
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe('/console/login');
      expect(await response.text()).toBe('');
    }
    expect(changes).toEqual([]);
  });

  it('refuses a forged or expired cookie', async () => {
    const { app, advance } = consoleApp();
    const { cookie } = await session(app);
    const forged = cookie.replace(/\.(\d+)\./, (_, ms) => `.${Number(ms) + 1}.`);
    expect((await app.request('http://aios.test/console/runs', { headers: { cookie: forged } })).status).toBe(
      303,
    );
    advance(12 * 3_600_000);
    expect((await app.request('http://aios.test/console/runs', { headers: { cookie } })).status).toBe(303);
  });

  it('changes nothing on a POST without the session’s CSRF token', async () => {
    const { app, changes } = consoleApp();
    const { cookie, csrf } = await session(app);
    expect(csrf).not.toBe('');
    const other = await session(consoleApp().app);
    for (const fields of [{}, { _csrf: 'x' }, { _csrf: other.csrf.slice(1) }] as Record<string, string>[]) {
      const response = await app.request('http://aios.test/console/runs/r1/cancel', form(fields, { cookie }));
      expect(response.status).toBe(403);
    }
    expect(changes).toEqual([]);
    const ok = await app.request(
      'http://aios.test/console/runs/r1/cancel',
      form({ _csrf: csrf }, { cookie }),
    );
    expect(ok.status).toBe(200);
    expect(changes).toEqual(['cancelled r1']);
  });

  it('logs out only with the CSRF token', async () => {
    const { app } = consoleApp();
    const { cookie, csrf } = await session(app);
    const forged = await app.request('http://aios.test/console/logout', form({}, { cookie }));
    expect(forged.headers.get('set-cookie')).toBeNull();
    const out = await app.request('http://aios.test/console/logout', form({ _csrf: csrf }, { cookie }));
    expect(out.headers.get('set-cookie')).toMatch(/Max-Age=0/);
  });
});
