import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

// The vector index needs ten REST calls of OpenSearch. A SigV4-signed fetch does them with what the
// SDK ships anyway (@smithy/signature-v4), where the full @opensearch-project/opensearch client added
// about 275 KB to every bundle that holds memory.

export interface OpenSearchRequest {
  query?: Record<string, string>;
  /** A JSON body. */
  body?: unknown;
  /** A bulk body: one JSON document per line. */
  ndjson?: readonly unknown[];
}

export interface OpenSearchHttp {
  /** Resolves with the parsed body of a 2xx answer; throws OpenSearchResponseError otherwise. */
  request<T = unknown>(method: string, path: string, request?: OpenSearchRequest): Promise<T>;
}

/** An answer of OpenSearch outside 2xx, with its status and parsed body. */
export class OpenSearchResponseError extends Error {
  constructor(
    readonly statusCode: number,
    readonly body: unknown,
    what: string,
  ) {
    super(`OpenSearch answered ${statusCode} to ${what}: ${JSON.stringify(body)?.slice(0, 500)}`);
    this.name = new.target.name;
  }
}

export interface OpenSearchHttpOptions {
  /** The domain's endpoint, e.g. `https://search-x.eu-west-1.es.amazonaws.com`. */
  node: string;
  region: string;
  credentials: () => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }>;
  /** `es` for a managed domain (the default), `aoss` for serverless. */
  service?: string;
}

/** SignatureV4's hash: SHA-256, or HMAC-SHA-256 when given a secret, on node:crypto. */
class Sha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash =
      secret === undefined
        ? createHash('sha256')
        : createHmac('sha256', typeof secret === 'string' ? secret : Buffer.from(secret as ArrayBuffer));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(typeof data === 'string' ? data : Buffer.from(data as ArrayBuffer));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

export function createOpenSearchHttp(options: OpenSearchHttpOptions): OpenSearchHttp {
  const base = new URL(options.node);
  const signer = new SignatureV4({
    service: options.service ?? 'es',
    region: options.region,
    credentials: options.credentials,
    sha256: Sha256,
    // OpenSearch Serverless refuses a request without x-amz-content-sha256; managed domains accept it.
    applyChecksum: true,
  });
  return {
    async request<T>(method: string, path: string, request: OpenSearchRequest = {}): Promise<T> {
      const payload = request.ndjson
        ? `${request.ndjson.map((line) => JSON.stringify(line)).join('\n')}\n`
        : request.body === undefined
          ? undefined
          : JSON.stringify(request.body);
      const signed = await signer.sign({
        method,
        protocol: base.protocol,
        hostname: base.hostname,
        ...(base.port ? { port: Number(base.port) } : {}),
        path,
        query: request.query ?? {},
        headers: {
          host: base.host,
          ...(payload === undefined
            ? {}
            : { 'content-type': request.ndjson ? 'application/x-ndjson' : 'application/json' }),
        },
        body: payload,
      });
      const url = new URL(path, base);
      for (const [key, value] of Object.entries(request.query ?? {})) url.searchParams.set(key, value);
      // fetch sets Host itself, to the same value that was signed.
      const { host: _host, ...headers } = signed.headers;
      const response = await fetch(url, { method, headers, body: payload });
      const text = await response.text();
      const body = text ? (JSON.parse(text) as unknown) : undefined;
      if (!response.ok) throw new OpenSearchResponseError(response.status, body, `${method} ${path}`);
      return body as T;
    },
  };
}
