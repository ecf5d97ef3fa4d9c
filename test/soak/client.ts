import type { AiosProcess } from './aios-process.ts';

export interface Reply<T = unknown> {
  status: number;
  body: T;
  text: string;
}

export interface RequestOptions {
  body?: unknown;
  /** A form body (application/x-www-form-urlencoded), sent as is. */
  form?: string;
  headers?: Record<string, string>;
  /** Without the API token: the public routes (magic link, Slack). */
  anonymous?: boolean;
  timeoutMs?: number;
}

/** The request did not get an answer: refused, reset, or timed out. Whether it took effect is unknown. */
export class NoAnswerError extends Error {
  override name = 'NoAnswerError';
  constructor(
    message: string,
    /** The runtime generation the request was sent to. */
    readonly generation: number,
  ) {
    super(message);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The soak's HTTP client. `once` sends one request and says plainly when no answer came;
 * `retrying` is for requests that are safe to repeat and rides through restarts (a refused
 * connection while aios restarts is expected), within a bound.
 */
export function createSoakClient(aios: AiosProcess, deadline: () => number) {
  let token: string | undefined;
  const tokenOf = () => {
    token ??= aios.token();
    return token;
  };

  async function once<T>(method: string, path: string, options: RequestOptions = {}): Promise<Reply<T>> {
    const generation = aios.generation;
    const headers: Record<string, string> = { ...options.headers };
    if (!options.anonymous) headers.authorization = `Bearer ${tokenOf()}`;
    let body: string | undefined;
    if (options.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = options.form;
    } else if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${aios.baseUrl}${path}`, {
        method,
        headers,
        body,
        signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
      });
      text = await response.text();
    } catch (error) {
      const cause = (error as Error & { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      throw new NoAnswerError(`${method} ${path}: no answer (${cause})`, generation);
    }
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // an HTML page (the magic link) or plain text: kept as text
    }
    return { status: response.status, body: parsed as T, text };
  }

  async function retrying<T>(method: string, path: string, options: RequestOptions = {}): Promise<Reply<T>> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await once<T>(method, path, options);
      } catch (error) {
        if (!(error instanceof NoAnswerError) || Date.now() >= deadline()) throw error;
        if (!(await aios.whenReady(Math.max(0, Math.min(30_000, deadline() - Date.now()))))) {
          if (aios.fatal || Date.now() >= deadline()) throw error;
        }
        await sleep(Math.min(1000, 20 * attempt));
      }
    }
  }

  return { once, retrying };
}

export type SoakClient = ReturnType<typeof createSoakClient>;
