/** @jsxImportSource hono/jsx */
import { href, Layout } from './layout.tsx';

export interface LoginProps {
  /** Why the last attempt failed, in words that say nothing about the token. */
  error?: string;
}

/** The one place the API token is typed: a POST body, never a URL. */
export function LoginPage({ error }: LoginProps) {
  return (
    <Layout title="Log in" csrf={null}>
      <p>
        Paste the API token from <code>.aios/api-token</code> once; the console keeps a session cookie
        instead.
      </p>
      {error && (
        <p class="bad" role="alert">
          {error}
        </p>
      )}
      <form method="post" action={href('/login')} autocomplete="off">
        <label for="token">API token</label>
        <input id="token" name="token" type="password" required autofocus autocomplete="off" />
        <p>
          <button type="submit">Log in</button>
        </p>
      </form>
    </Layout>
  );
}
