/**
 * How a request failed, when it may go through if sent again: nothing could be reached
 * (`unreachable`), the connection broke or timed out after it was made (`broken`), or the server
 * failed (`server`, a 5xx).
 */
export type TransientFailure = 'unreachable' | 'broken' | 'server';

/** A failure the CLI reports in one line, with the exit code that says what kind it was. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly transient?: TransientFailure,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const EXIT = { ok: 0, runFailed: 1, badInput: 2, unreachable: 3, notFound: 4, server: 5 } as const;
