/** @jsxImportSource hono/jsx */
import type { Child } from 'hono/jsx';

/** Where the console is mounted: the API's own routes keep the root (`/runs` answers JSON). */
export const CONSOLE_BASE = '/console';
/**
 * What a browser puts before the console's paths: on AWS the API's stage (`/v1`), which API
 * Gateway strips before the function sees the path; nothing locally. Read once, at start-up.
 */
const LINK_PREFIX = linkPrefix(process.env.AIOS_CONSOLE_LINK_PREFIX);
/** A console path as a browser must ask for it: for links, form actions, redirects and the cookie's path. */
export const href = (path: string) => `${LINK_PREFIX}${CONSOLE_BASE}${path}`;

function linkPrefix(value: string | undefined): string {
  if (value === undefined || value === '') return '';
  if (!/^(\/[A-Za-z0-9_-]+)+$/.test(value))
    throw new Error(`AIOS_CONSOLE_LINK_PREFIX must be a path like /v1, got ${JSON.stringify(value)}`);
  return value;
}

// One small stylesheet, inline: no asset route, no client JavaScript, readable from 360 px up.
const STYLE = `
:root{color-scheme:light dark;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--bg:#fff;--accent:#0a58ca;--bad:#b42318;--ok:#1a7f37}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9da7b3;--line:#30363d;--bg:#0d1117;--accent:#58a6ff;--bad:#f85149;--ok:#3fb950}}
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent)}a:focus,button:focus,input:focus,select:focus,textarea:focus{outline:3px solid var(--accent);outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:var(--bg);padding:4px}
header{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;padding:.75rem 1rem;border-bottom:1px solid var(--line)}
header nav{display:flex;flex-wrap:wrap;gap:.25rem .9rem}header form{margin-left:auto}
main{padding:1rem;max-width:72rem;margin:0 auto}h1{font-size:1.5rem;margin:.25rem 0 1rem}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
.scroll{overflow-x:auto}.muted{color:var(--muted)}.bad{color:var(--bad)}.ok{color:var(--ok)}
form.inline{display:inline}label{display:block;font-weight:600;margin-top:.5rem}
input,select,textarea,button{font:inherit;padding:.35rem .5rem;border:1px solid var(--line);border-radius:4px;background:var(--bg);color:var(--fg)}
button{cursor:pointer}.filters{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:end;margin-bottom:1rem}
ol.timeline{list-style:none;padding:0}ol.timeline li{border-left:3px solid var(--line);padding:.25rem .75rem;margin-bottom:.5rem}
.card{border:1px solid var(--line);border-radius:6px;padding:.75rem 1rem;margin-bottom:1rem}
@media (max-width:40rem){th,td{padding:.3rem}main{padding:.5rem}}
`;

export interface LayoutProps {
  title: string;
  /** Null on the login page: no navigation, no logout form. */
  csrf: string | null;
  /** A console path to go on to at once (after sign-in: a same-site navigation, so the SameSite=Strict cookie goes along). */
  refreshTo?: string;
  children?: Child;
}

const NAV = [
  ['/runs', 'Runs'],
  ['/inbox', 'Inbox'],
  ['/workflows', 'Workflows'],
  ['/connectors', 'Connectors'],
  ['/memory', 'Memory'],
] as const;

export function Layout({ title, csrf, refreshTo, children }: LayoutProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        {refreshTo !== undefined && <meta http-equiv="refresh" content={`0;url=${refreshTo}`} />}
        <title>{`${title} · aios`}</title>
        <style>{STYLE}</style>
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header>
          <strong>aios</strong>
          {csrf !== null && (
            <>
              <nav aria-label="Console">
                {NAV.map(([path, label]) => (
                  <a href={href(path)}>{label}</a>
                ))}
              </nav>
              <form method="post" action={href('/logout')}>
                <input type="hidden" name="_csrf" value={csrf} />
                <button type="submit">Log out</button>
              </form>
            </>
          )}
        </header>
        <main id="main">
          <h1>{title}</h1>
          {children}
        </main>
      </body>
    </html>
  );
}

/** A POST form carrying the session's CSRF token: every state change in the console goes through one. */
export function ActionForm(props: { action: string; csrf: string; children?: Child; class?: string }) {
  return (
    <form method="post" action={props.action} class={props.class}>
      <input type="hidden" name="_csrf" value={props.csrf} />
      {props.children}
    </form>
  );
}
