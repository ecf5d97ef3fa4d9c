import { describe, expect, it } from 'vitest';
import {
  credentialAllows,
  parseHostRule,
  parseStoredCredential,
} from '../../../functions/connectors/http-credential.ts';

const bound = (...hosts: string[]) =>
  parseStoredCredential(
    'stripe',
    JSON.stringify({ value: 'Bearer sk', hosts }),
    'the secret aios/http/stripe',
  );
const allows = (hosts: string[], url: string) => credentialAllows('stripe', bound(...hosts), url).ok;

describe('http.request credential hosts', () => {
  it('matches the exact host over https on its default port, and nothing else', () => {
    expect(allows(['api.stripe.com'], 'https://api.stripe.com/v1/charges')).toBe(true);
    expect(allows(['api.stripe.com'], 'https://API.Stripe.com:443/v1')).toBe(true);
    expect(allows(['api.stripe.com'], 'http://api.stripe.com/v1')).toBe(false);
    expect(allows(['api.stripe.com'], 'https://api.stripe.com:8443/v1')).toBe(false);
    expect(allows(['api.stripe.com'], 'https://api.stripe.com.evil.example/v1')).toBe(false);
    expect(allows(['api.stripe.com'], 'https://evil.example/?api.stripe.com')).toBe(false);
    expect(allows(['api.stripe.com'], 'https://api.stripe.com@evil.example/')).toBe(false);
    expect(allows(['api.stripe.com:8443'], 'https://api.stripe.com:8443/v1')).toBe(true);
  });

  it('lets a wildcard stand for one label under its domain', () => {
    expect(allows(['*.example.com'], 'https://a.example.com/')).toBe(true);
    expect(allows(['*.example.com'], 'https://a.b.example.com/')).toBe(false);
    expect(allows(['*.example.com'], 'https://example.com/')).toBe(false);
    expect(allows(['*.example.com'], 'https://badexample.com/')).toBe(false);
  });

  it('takes plain http only for a service on this machine, named with its scheme and port', () => {
    expect(allows(['http://127.0.0.1:9000'], 'http://127.0.0.1:9000/hook')).toBe(true);
    expect(allows(['http://127.0.0.1:9000'], 'http://127.0.0.1:9001/hook')).toBe(false);
    expect(allows(['http://localhost:9000'], 'http://127.0.0.1:9000/hook')).toBe(false);
    expect(parseHostRule('http://[::1]:9000')).toMatchObject({ scheme: 'http:', host: '[::1]', port: 9000 });
    expect(() => parseHostRule('http://api.example.com')).toThrow(
      /plain http is allowed only for a service on this machine/,
    );
    expect(() => parseHostRule('http://*.localhost')).toThrow(/plain http/);
  });

  it('refuses host entries that are not a host and port', () => {
    for (const entry of [
      'api.example.com/v1',
      'user@api.example.com',
      'ftp://api.example.com',
      '*.com',
      'a b',
    ]) {
      expect(() => parseHostRule(entry), entry).toThrow();
    }
  });

  it('reads the stored JSON, and refuses a plain string or a credential without hosts, saying what to store', () => {
    expect(bound('api.stripe.com')).toMatchObject({
      value: 'Bearer sk',
      hosts: [{ host: 'api.stripe.com', port: 443 }],
    });
    expect(() => parseStoredCredential('stripe', 'Bearer sk_live', 'the secret aios/http/stripe')).toThrow(
      'credential stripe does not say where it may be sent: store the secret aios/http/stripe as JSON {"value": "<the header value>", "hosts": ["api.example.com"]}',
    );
    expect(() => parseStoredCredential('stripe', '{"value":"x","hosts":[]}', 'f')).toThrow(
      /hosts: must name at least one host/,
    );
    expect(() =>
      parseStoredCredential('stripe', '{"value":"x","hosts":["http://api.example.com"]}', 'f'),
    ).toThrow(/credential stripe in f: hosts: "http:\/\/api\.example\.com": plain http/);
  });
});
