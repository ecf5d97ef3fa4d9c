import { isIP } from 'node:net';
import type { Context } from 'hono';

export interface ClientKeyOptions {
  /** The address the connection came from (the socket's peer; API Gateway's source IP). */
  peer: (c: Context) => string | undefined;
  /**
   * Proxies in front of aios that append the address they saw to X-Forwarded-For (0: none, so the
   * header is ignored: any client can write it, and trusting it would let a guesser pick a fresh key
   * for every try).
   */
  trustedProxies?: number;
}

/**
 * Who is trying to log in, for the console's slow-down: the peer address, or behind N trusted
 * proxies the address the outermost of them saw (the Nth entry from the right of
 * X-Forwarded-For; entries to its left are the client's own words). Anything that is not an IP
 * address falls back to the peer.
 */
export function consoleClientKey(options: ClientKeyOptions): (c: Context) => string {
  const hops = options.trustedProxies ?? 0;
  return (c) => {
    const peer = options.peer(c) ?? 'unknown';
    if (hops <= 0) return peer;
    const forwarded = (c.req.header('x-forwarded-for') ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean);
    const seen = forwarded[forwarded.length - hops];
    return seen && isIP(seen) ? seen : peer;
  };
}
