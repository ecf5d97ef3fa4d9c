/** A stored http.request credential: the header value and the hosts it may be sent to, nowhere else. */
export interface HttpCredential {
  value: string;
  hosts: readonly HostRule[];
}

/** One allowed destination: a scheme, a host (or `*.` and a domain) and a port. */
export interface HostRule {
  /** As written by the operator, for messages. */
  entry: string;
  scheme: 'https:' | 'http:';
  /** Lowercase; `*.example.com` keeps its `*.`. */
  host: string;
  port: number;
}

/** Looks up a stored credential by name; throws when there is none or it is not usable. */
export type CredentialLookup = (name: string) => Promise<HttpCredential>;
