import type { IncomingMessage, RequestOptions } from 'node:http';

// node:http rather than fetch: a CLI call makes one or a few requests, and fetch's first use costs
// more than the rest of the call. Loading undici and its WebAssembly parser, and waiting for them at
// exit, took ~0.3 s of a ~0.4 s `aios runs` (bench: npm run bench, section (e)).

export interface HttpAnswer {
  status: number;
  text: string;
}

/** The error of an attempt that got no complete answer in time: the connection counts as broken. */
export class HttpTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`no answer within ${timeoutMs / 1000} s`);
    this.name = 'HttpTimeoutError';
  }
}

/**
 * One request, resolved with the status and the whole body as text. It rejects with the socket's
 * error (its `code` says what happened, e.g. ECONNREFUSED or ECONNRESET) or, after `timeoutMs`, with
 * an HttpTimeoutError; no timer or socket outlives it to hold the process open.
 */
export async function send(
  url: URL,
  options: { method: string; headers: Record<string, string>; body?: string; timeoutMs?: number },
): Promise<HttpAnswer> {
  const { request } = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  const headers = { ...options.headers };
  if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
  const requestOptions: RequestOptions = { method: options.method, headers };
  return new Promise<HttpAnswer>((resolve, reject) => {
    const req = request(url, requestOptions, (response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', fail);
      response.on('end', () => {
        clearTimeout(timer);
        resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => req.destroy(new HttpTimeoutError(options.timeoutMs ?? 0)), options.timeoutMs);
    function fail(error: Error) {
      clearTimeout(timer);
      reject(error);
    }
    req.on('error', fail);
    req.end(options.body);
  });
}
