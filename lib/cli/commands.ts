import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { expandApiUrl } from '../../functions/core/input-placeholders.ts';
import type { JournalEntry } from '../../functions/core/schemas.ts';
import type { ApiClient } from './api-client.ts';
import { CliError, EXIT } from './errors.ts';
import {
  formatAudit,
  formatDeadLetters,
  formatHistory,
  formatJournalLine,
  formatRunDetails,
  formatRunsTable,
} from './format.ts';

export interface Output {
  out(line: string): void;
  err(line: string): void;
}

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

/**
 * How a `--set` value is read. `json`: as JSON when it parses (`12` is a number). `text`: as text
 * unless it is a JSON object, list or quoted string, so `--set customerId=123` stays "123" and the
 * server reads "12" as 12 where the playbook's input schema says number.
 */
export type SetValues = 'json' | 'text';

function setValue(raw: string, values: SetValues): unknown {
  if (values === 'text' && !/^\s*[[{"]/.test(raw)) return raw;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

export async function readInput(
  file: string | undefined,
  sets: readonly string[],
  values: SetValues = 'json',
): Promise<Record<string, unknown>> {
  let input: Record<string, unknown> = {};
  if (file) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      throw new CliError(`cannot read the input file ${file}`, EXIT.badInput);
    }
    try {
      input = JSON.parse(text);
    } catch {
      throw new CliError(`the input file ${file} is not valid JSON`, EXIT.badInput);
    }
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      throw new CliError(`the input file ${file} must hold a JSON object`, EXIT.badInput);
    }
  }
  for (const pair of sets) {
    const at = pair.indexOf('=');
    if (at < 1) throw new CliError(`--set takes key=value, got ${JSON.stringify(pair)}`, EXIT.badInput);
    // Defined, not assigned: `--set __proto__=...` is a field name like any other, not a prototype.
    Object.defineProperty(input, pair.slice(0, at), {
      value: setValue(pair.slice(at + 1), values),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return input;
}

export interface RunOptions {
  input?: string;
  set: string[];
  mode?: string;
  wait: boolean;
  json: boolean;
  pollMs: number;
  timeoutMs: number;
}

/** Starts a run and follows its journal until it ends; the exit code says how it ended. */
export async function runCommand(
  api: ApiClient,
  output: Output,
  workflow: string,
  options: RunOptions,
): Promise<number> {
  const input = expandApiUrl(await readInput(options.input, options.set, 'text'), api.baseUrl) as Record<
    string,
    unknown
  >;
  // One key per invocation, sent again on each retry: a retried start never starts a second run.
  const started = await api.startRun(
    { workflow, input, ...(options.mode ? { mode: options.mode } : {}) },
    randomUUID(),
  );
  if (!options.json)
    output.out(
      `Run ${started.runId} started (${workflow}). Following its progress; Ctrl-C stops following, not the run.`,
    );
  if (!options.wait) {
    if (options.json) output.out(JSON.stringify(started));
    return EXIT.ok;
  }
  const seen = new Set<string>();
  const key = (e: JournalEntry) => `${e.at}|${e.kind}|${e.message}`;
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const details = await api.getRun(started.runId);
    for (const entry of details.journal) {
      if (seen.has(key(entry))) continue;
      seen.add(key(entry));
      if (!options.json && entry.kind !== 'model') {
        output.out(formatJournalLine(entry));
        // An approval request: show where it waits, so the operator can decide from here.
        const links = (entry.data as { links?: unknown } | undefined)?.links;
        if (Array.isArray(links))
          for (const link of links) output.out(`                        open to decide: ${String(link)}`);
      }
    }
    if (TERMINAL.has(details.run.status)) {
      if (options.json) output.out(JSON.stringify(details, null, 2));
      else if (details.run.status === 'SUCCEEDED')
        output.out(`\n✔ Run ${started.runId} succeeded. ${details.run.summary ?? ''}`);
      else if (details.run.status === 'CANCELLED')
        output.out(`\n✘ Run ${started.runId} was cancelled: ${details.run.cancellation?.reason ?? ''}`);
      else
        output.out(
          `\n✘ Run ${started.runId} failed. ${details.run.failure?.account ?? ''}\n  See: npx aios show ${started.runId}`,
        );
      return details.run.status === 'SUCCEEDED' ? EXIT.ok : EXIT.runFailed;
    }
    if (Date.now() > deadline) {
      throw new CliError(
        `run ${started.runId} is still ${details.run.status} after ${options.timeoutMs / 1000} s; it goes on. Check it with: npx aios show ${started.runId}`,
        EXIT.server,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs));
  }
}

export async function runsCommand(
  api: ApiClient,
  output: Output,
  options: { status?: string; limit?: number; json: boolean },
) {
  const runs = await api.listRuns({ status: options.status, limit: options.limit });
  output.out(options.json ? JSON.stringify(runs, null, 2) : formatRunsTable(runs));
  return EXIT.ok;
}

export async function showCommand(api: ApiClient, output: Output, runId: string, options: { json: boolean }) {
  const details = await api.getRun(runId);
  output.out(options.json ? JSON.stringify(details, null, 2) : formatRunDetails(details));
  return EXIT.ok;
}

export async function historyCommand(
  api: ApiClient,
  output: Output,
  runId: string,
  options: { json: boolean },
) {
  const events = await api.getHistory(runId);
  output.out(options.json ? JSON.stringify(events, null, 2) : formatHistory(runId, events));
  return EXIT.ok;
}

export async function auditCommand(
  api: ApiClient,
  output: Output,
  runId: string,
  options: { json: boolean },
) {
  const entries = await api.getAudit(runId);
  output.out(options.json ? JSON.stringify(entries, null, 2) : formatAudit(runId, entries));
  return EXIT.ok;
}

export async function dlqListCommand(
  api: ApiClient,
  output: Output,
  options: { limit: number; json: boolean },
) {
  const messages = await api.listDeadLetters(options.limit);
  output.out(options.json ? JSON.stringify(messages, null, 2) : formatDeadLetters(messages));
  return EXIT.ok;
}

export async function dlqRedriveCommand(api: ApiClient, output: Output, options: { json: boolean }) {
  const result = await api.redriveDeadLetters();
  if (options.json) output.out(JSON.stringify(result));
  else if (result.moved !== undefined)
    output.out(`Moved ${result.moved} message${result.moved === 1 ? '' : 's'} back to the action queue.`);
  else
    output.out(
      `Started moving the dead letters back to the action queue (task ${result.taskHandle ?? 'unknown'}).`,
    );
  return EXIT.ok;
}

export async function approvalsCommand(api: ApiClient, output: Output, options: { json: boolean }) {
  const approvals = await api.listApprovals();
  if (options.json) {
    output.out(JSON.stringify(approvals, null, 2));
    return EXIT.ok;
  }
  if (approvals.length === 0) {
    output.out('No approvals are waiting.');
    return EXIT.ok;
  }
  output.out(`${approvals.length} approval${approvals.length === 1 ? '' : 's'} waiting, oldest first`);
  for (const a of approvals) {
    output.out(
      `  ${a.approvalId}  ${a.risk}  waiting ${Math.round(a.ageSeconds / 60)} min, expires ${a.expiresAt}`,
    );
    output.out(`    ${a.summary}`);
  }
  output.out('');
  output.out('Decide with: npx aios approve <id>  or  npx aios reject <id> --note "why"');
  return EXIT.ok;
}

export async function decideCommand(
  api: ApiClient,
  output: Output,
  id: string,
  decision: 'approve' | 'reject',
  options: { note?: string; set: string[]; json: boolean },
) {
  const params = options.set.length > 0 ? await readInput(undefined, options.set) : undefined;
  const { approval } = await api.decideApproval(id, {
    decision,
    ...(options.note ? { note: options.note } : {}),
    ...(params ? { params } : {}),
  });
  if (options.json) output.out(JSON.stringify(approval, null, 2));
  else
    output.out(
      `${approval.approvalId} ${approval.status.toLowerCase()}${options.note ? ` (${options.note})` : ''}; run ${approval.runId} goes on.`,
    );
  return EXIT.ok;
}

export async function connectorsCommand(api: ApiClient, output: Output, options: { json: boolean }) {
  const connectors = await api.listConnectors();
  if (options.json) {
    output.out(JSON.stringify(connectors, null, 2));
    return EXIT.ok;
  }
  for (const c of connectors) {
    const breaker = c.breakerState;
    const state =
      breaker.state === 'closed'
        ? `closed, ${breaker.failures} recent failure(s)`
        : `${breaker.state}${breaker.retryAt ? `, probe at ${breaker.retryAt}` : ''}`;
    output.out(
      `  ${c.type.padEnd(14)} ${c.risk.padEnd(16)} ${String(c.rateLimit.ratePerSecond).padStart(3)}/s burst ${String(c.rateLimit.burst).padEnd(4)} breaker ${state}${c.compensatedBy ? `; undone by ${c.compensatedBy}` : ''}`,
    );
  }
  return EXIT.ok;
}
