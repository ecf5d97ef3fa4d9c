import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConnectorStatus } from '../../functions/connectors/status.ts';
import type { Approval } from '../../functions/core/approvals/approval.ts';
import type { DeadLetter, ExecutionEvent } from '../../functions/core/ports.ts';
import type { RunDetails } from '../../functions/core/runs-service.ts';
import type { AuditEntry, Run } from '../../functions/core/schemas.ts';
import { CliError, EXIT, type TransientFailure } from './errors.ts';
import { type HttpAnswer, HttpTimeoutError, send } from './http.ts';

export interface ApiClient {
  /** Where the API is, e.g. http://127.0.0.1:8787. */
  readonly baseUrl: string;
  /**
   * Starts a run, sending `idempotencyKey` as the Idempotency-Key header and the same key again on
   * each retry: a broken connection or a 5xx is retried a few times with backoff, and the server
   * starts at most one run for the key.
   */
  startRun(
    body: { workflow: string; input: Record<string, unknown>; mode?: string },
    idempotencyKey: string,
  ): Promise<{ runId: string; status: string }>;
  listRuns(query: { status?: string; limit?: number }): Promise<Run[]>;
  getRun(runId: string): Promise<RunDetails>;
  getHistory(runId: string): Promise<ExecutionEvent[]>;
  /** Any other route: the same auth, errors and exit codes. */
  request<T>(method: string, path: string, body?: unknown): Promise<T>;
  getAudit(runId: string): Promise<AuditEntry[]>;
  listDeadLetters(limit: number): Promise<DeadLetter[]>;
  redriveDeadLetters(): Promise<{ moved?: number; taskHandle?: string }>;
  listApprovals(): Promise<(Approval & { ageSeconds: number })[]>;
  listConnectors(): Promise<ConnectorStatus[]>;
  decideApproval(
    id: string,
    body: { decision: 'approve' | 'reject'; note?: string; params?: Record<string, unknown> },
  ): Promise<{ approval: Approval }>;
}

export interface ApiClientOptions {
  /** The waits before each retry of a run start; their count bounds the retries. */
  retryDelaysMs?: readonly number[];
  /** How long one attempt to start a run may take before it counts as a broken connection. */
  startTimeoutMs?: number;
  /** Told before each retry, so the operator sees why the command takes longer. */
  onRetry?: (reason: string, attempt: number, attempts: number, delayMs: number) => void;
}

const RETRY_DELAYS_MS = [500, 1000, 2000, 4000];

/** Codes of a connection that was made and then lost: the request may have arrived. */
const BROKEN = new Set(['ECONNRESET', 'EPIPE']);

function failureOf(error: unknown): TransientFailure {
  if (error instanceof HttpTimeoutError) return 'broken';
  const code = (error as NodeJS.ErrnoException).code;
  return code !== undefined && BROKEN.has(code) ? 'broken' : 'unreachable';
}

/**
 * How requests to one aios are authenticated, and how a failure to reach or to be let in is told:
 * a bearer token locally (below), SigV4 on AWS (aws-client.ts).
 */
export interface ApiAuth {
  /** Headers that authenticate this exact request (a signature covers method, URL and body). */
  headers(request: {
    method: string;
    url: URL;
    headers: Record<string, string>;
    body?: string;
  }): Promise<Record<string, string>>;
  /**
   * The error for a 401 or 403 that the authentication caused, naming what to fix; undefined for
   * one the API itself gave (e.g. an approver who may not decide), which is told as it came.
   */
  refused(status: number, message: string): CliError | undefined;
  /** The sentence for an API that could not be reached at all. */
  unreachable(baseUrl: string): string;
}

/** The local runtime's API: the token `aios dev` wrote into its data dir. */
export async function createApiClient(
  baseUrl: string,
  dataDirectory: string,
  options: ApiClientOptions = {},
): Promise<ApiClient> {
  const token = await readToken(dataDirectory);
  return createHttpApiClient(
    baseUrl,
    {
      headers: async () => ({ authorization: `Bearer ${token}` }),
      refused: (status, message) =>
        status !== 401
          ? undefined
          : new CliError(
              `${message}. The CLI reads the token from ${join(dataDirectory, 'api-token')}; is AIOS_DATA_DIR the server's?`,
              EXIT.badInput,
            ),
      unreachable: (url) => `aios is not running at ${url}. Start it with \`npm start\` in another terminal.`,
    },
    options,
  );
}

/** The API client over any authentication: the same routes, answers, errors and exit codes. */
export function createHttpApiClient(
  baseUrl: string,
  auth: ApiAuth,
  options: ApiClientOptions = {},
): ApiClient {
  const retryDelaysMs = options.retryDelaysMs ?? RETRY_DELAYS_MS;

  async function call<T>(
    method: string,
    path: string,
    body?: unknown,
    extra: { headers?: Record<string, string>; timeoutMs?: number } = {},
  ): Promise<T> {
    const url = new URL(`${baseUrl}${path}`);
    const text = body ? JSON.stringify(body) : undefined;
    const headers: Record<string, string> = {
      ...(text !== undefined ? { 'content-type': 'application/json' } : {}),
      ...extra.headers,
    };
    Object.assign(
      headers,
      await auth.headers({ method, url, headers, ...(text !== undefined ? { body: text } : {}) }),
    );
    let response: HttpAnswer;
    try {
      response = await send(url, {
        method,
        headers,
        ...(text !== undefined ? { body: text } : {}),
        ...(extra.timeoutMs ? { timeoutMs: extra.timeoutMs } : {}),
      });
    } catch (error) {
      const failure = failureOf(error);
      throw new CliError(
        failure === 'unreachable'
          ? auth.unreachable(baseUrl)
          : `the connection to aios at ${baseUrl} broke before it answered (${(error as Error).message})`,
        EXIT.unreachable,
        failure,
      );
    }
    const { status } = response;
    let payload: { message?: string; Message?: string } & Record<string, unknown> = {};
    try {
      payload = response.text ? JSON.parse(response.text) : {};
    } catch {
      payload = { message: response.text };
    }
    if (status >= 200 && status < 300) return payload as T;
    // API Gateway spells it `Message` in its IAM refusals.
    const message = payload.message ?? payload.Message ?? `HTTP ${status}`;
    const refusal = status === 401 || status === 403 ? auth.refused(status, message) : undefined;
    if (refusal) throw refusal;
    if (status === 404) throw new CliError(message, EXIT.notFound);
    if (status < 500) throw new CliError(message, EXIT.badInput);
    throw new CliError(`the server failed: ${message}`, EXIT.server, 'server');
  }

  async function startRun(body: unknown, idempotencyKey: string) {
    const attempts = retryDelaysMs.length + 1;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await call<{ runId: string; status: string }>('POST', '/runs', body, {
          headers: { 'idempotency-key': idempotencyKey },
          timeoutMs: options.startTimeoutMs ?? 30_000,
        });
      } catch (error) {
        const delayMs = retryDelaysMs[attempt - 1];
        // Unreachable at once means aios is not running: say so now rather than after every retry.
        const worthRetrying =
          error instanceof CliError &&
          error.transient !== undefined &&
          !(error.transient === 'unreachable' && attempt === 1);
        if (!worthRetrying || delayMs === undefined) throw error;
        options.onRetry?.(error.message, attempt + 1, attempts, delayMs);
        // A little jitter, so clients retrying after the same outage do not all arrive together.
        await new Promise((resolve) => setTimeout(resolve, delayMs * (0.8 + Math.random() * 0.4)));
      }
    }
  }

  return {
    baseUrl,
    startRun,
    listRuns: async (query) => {
      const params = new URLSearchParams();
      if (query.status) params.set('status', query.status);
      if (query.limit) params.set('limit', String(query.limit));
      const suffix = params.size > 0 ? `?${params}` : '';
      return (await call<{ runs: Run[] }>('GET', `/runs${suffix}`)).runs;
    },
    getRun: (runId) => call('GET', `/runs/${encodeURIComponent(runId)}`),
    getAudit: async (runId) =>
      (await call<{ entries: AuditEntry[] }>('GET', `/runs/${encodeURIComponent(runId)}/audit`)).entries,
    listDeadLetters: async (limit) =>
      (await call<{ messages: DeadLetter[] }>('GET', `/dlq?limit=${limit}`)).messages,
    redriveDeadLetters: () => call('POST', '/dlq/redrive', {}),
    listConnectors: async () =>
      (await call<{ connectors: ConnectorStatus[] }>('GET', '/connectors')).connectors,
    listApprovals: async () =>
      (await call<{ approvals: (Approval & { ageSeconds: number })[] }>('GET', '/approvals')).approvals,
    decideApproval: (id, body) => call('POST', `/approvals/${encodeURIComponent(id)}/decision`, body),
    getHistory: async (runId) =>
      (await call<{ events: ExecutionEvent[] }>('GET', `/runs/${encodeURIComponent(runId)}/history`)).events,
    request: (method, path, body) => call(method, path, body),
  };
}

async function readToken(dataDirectory: string): Promise<string> {
  try {
    return (await readFile(join(dataDirectory, 'api-token'), 'utf8')).trim();
  } catch {
    throw new CliError(
      `no API token at ${join(dataDirectory, 'api-token')}: start aios once with \`npm start\` (it creates the token).`,
      EXIT.unreachable,
    );
  }
}
