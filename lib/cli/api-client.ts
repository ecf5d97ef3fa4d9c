import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConnectorStatus } from '../../functions/connectors/status.ts';
import type { Approval } from '../../functions/core/approvals/approval.ts';
import type { DeadLetter, ExecutionEvent } from '../../functions/core/ports.ts';
import type { RunDetails } from '../../functions/core/runs-service.ts';
import type { AuditEntry, Run } from '../../functions/core/schemas.ts';

/** A failure the CLI reports in one line, with the exit code that says what kind it was. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const EXIT = { ok: 0, runFailed: 1, badInput: 2, unreachable: 3, notFound: 4, server: 5 } as const;

export interface ApiClient {
  startRun(body: {
    workflow: string;
    input: Record<string, unknown>;
    mode?: string;
  }): Promise<{ runId: string; status: string }>;
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

export async function createApiClient(baseUrl: string, dataDirectory: string): Promise<ApiClient> {
  const token = await readToken(dataDirectory);

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch {
      throw new CliError(
        `aios is not running at ${baseUrl}. Start it with \`npm start\` in another terminal.`,
        EXIT.unreachable,
      );
    }
    const text = await response.text();
    let payload: { message?: string } & Record<string, unknown> = {};
    try {
      payload = text ? JSON.parse(text) : {};
    } catch {
      payload = { message: text };
    }
    if (response.ok) return payload as T;
    const message = payload.message ?? `HTTP ${response.status}`;
    if (response.status === 401) {
      throw new CliError(
        `${message}. The CLI reads the token from ${join(dataDirectory, 'api-token')}; is AIOS_DATA_DIR the server's?`,
        EXIT.badInput,
      );
    }
    if (response.status === 404) throw new CliError(message, EXIT.notFound);
    if (response.status < 500) throw new CliError(message, EXIT.badInput);
    throw new CliError(`the server failed: ${message}`, EXIT.server);
  }

  return {
    startRun: (body) => call('POST', '/runs', body),
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
