import * as z from 'zod';
import { lazySchema } from '../core/lazy-schema.ts';
import type { HostRule, HttpCredential } from '../core/ports.ts';

export type { CredentialLookup, HostRule, HttpCredential } from '../core/ports.ts';

const DEFAULT_PORT = { 'https:': 443, 'http:': 80 } as const;
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/** The shape an operator writes: `{ "value": "Bearer sk_…", "hosts": ["api.stripe.com"] }`. */
const StoredCredentialSchema = lazySchema(() =>
  z.strictObject({
    value: z.string().trim().min(1, 'must be the header value'),
    hosts: z
      .array(z.string().trim().min(1))
      .min(1, 'must name at least one host the credential may be sent to'),
  }),
);

/**
 * Parses one entry of `hosts`: `api.stripe.com`, `*.example.com`, `api.example.com:8443`, or, for a
 * service on this machine only, `http://127.0.0.1:9000`. Anything else is refused with the reason:
 * a credential must never go out in clear text, nor to a host nobody named.
 */
export function parseHostRule(entry: string): HostRule {
  const withScheme = /^[a-z]+:\/\//i.test(entry) ? entry : `https://${entry}`;
  const wildcard = /^(https?:\/\/)\*\./i.exec(withScheme);
  let url: URL;
  try {
    url = new URL(wildcard ? withScheme.replace('*.', '') : withScheme);
  } catch {
    throw new Error(`"${entry}" is not a host, host:port or http://loopback:port`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`"${entry}": a credential goes over https only`);
  }
  if (
    url.username ||
    url.password ||
    url.search ||
    url.hash ||
    url.pathname !== '/' ||
    withScheme.endsWith('/')
  ) {
    throw new Error(`"${entry}" must be a host (and port), without a path, query or user`);
  }
  if (url.protocol === 'http:' && (wildcard || !LOOPBACK.test(url.hostname))) {
    throw new Error(
      `"${entry}": plain http is allowed only for a service on this machine (localhost, 127.x.x.x, [::1])`,
    );
  }
  if (wildcard && !url.hostname.includes('.')) {
    throw new Error(`"${entry}": a wildcard must stand for one label under a domain, as in *.example.com`);
  }
  return {
    entry,
    scheme: url.protocol,
    host: wildcard ? `*.${url.hostname}` : url.hostname,
    port: url.port === '' ? DEFAULT_PORT[url.protocol] : Number(url.port),
  };
}

/**
 * A stored secret's text as a credential. A plain string (how credentials were kept before they
 * named their hosts) is refused, saying how to add the hosts: a credential that may go anywhere
 * is exactly what this guards against.
 */
export function parseStoredCredential(name: string, text: string, where: string): HttpCredential {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new Error(
      `credential ${name} does not say where it may be sent: store ${where} as JSON ` +
        `{"value": "<the header value>", "hosts": ["api.example.com"]}`,
    );
  }
  const parsed = StoredCredentialSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `credential ${name} in ${where} is not {"value": "...", "hosts": [...]}: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
    );
  }
  const hosts = parsed.data.hosts.map((entry) => {
    try {
      return parseHostRule(entry);
    } catch (error) {
      throw new Error(`credential ${name} in ${where}: hosts: ${(error as Error).message}`);
    }
  });
  return { value: parsed.data.value, hosts };
}

function hostMatches(rule: HostRule, hostname: string): boolean {
  if (!rule.host.startsWith('*.')) return rule.host === hostname;
  // One label, as a TLS wildcard: *.example.com covers a.example.com, not a.b.example.com nor example.com.
  const domain = rule.host.slice(1);
  const label = hostname.slice(0, -domain.length);
  return hostname.endsWith(domain) && label.length > 0 && !label.includes('.');
}

/** Whether the credential may be sent to `url`; when not, why, in words for the audit log. */
export function credentialAllows(
  name: string,
  credential: HttpCredential,
  url: string,
): { ok: true } | { ok: false; reason: string } {
  const target = new URL(url);
  const scheme = target.protocol;
  const port = target.port === '' ? DEFAULT_PORT[scheme as keyof typeof DEFAULT_PORT] : Number(target.port);
  const allowed = credential.hosts.some(
    (rule) => rule.scheme === scheme && rule.port === port && hostMatches(rule, target.hostname),
  );
  if (allowed) return { ok: true };
  return {
    ok: false,
    reason: `credential ${name} may not be sent to ${scheme}//${target.hostname}:${port}; it is bound to ${credential.hosts.map((rule) => rule.entry).join(', ')}`,
  };
}
