import { readFile } from 'node:fs/promises';
import type { Handoff } from '../../functions/core/agents/handoff.ts';
import type { ApiClient } from './api-client.ts';
import type { Output } from './commands.ts';
import { CliError, EXIT } from './errors.ts';

// What `aios handoffs` and `aios handoff complete <id> --text … | --file …` do once their options
// are parsed (registered in handoff-commands.ts), through the routes of functions/api/handoff-routes.ts.

function formatHandoffs(handoffs: readonly Handoff[]): string {
  if (handoffs.length === 0) return 'No handoffs wait for you.';
  const lines = [`${handoffs.length} step${handoffs.length === 1 ? '' : 's'} the model could not do:`];
  for (const h of handoffs) {
    lines.push(
      `  ${h.handoffId}  ${h.workflow} step ${h.stepIndex + 1} "${h.title}" (${h.kind}), since ${h.createdAt}`,
      `      why: ${h.error}`,
      `      finish it: aios handoff complete ${h.handoffId} --text "…"  (or --file <path>)`,
    );
  }
  return lines.join('\n');
}

export async function handoffsCommand(
  client: ApiClient,
  output: Output,
  options: { json: boolean },
): Promise<number> {
  const { handoffs } = (await client.request('GET', '/handoffs')) as { handoffs: Handoff[] };
  output.out(options.json ? JSON.stringify(handoffs, null, 2) : formatHandoffs(handoffs));
  return EXIT.ok;
}

/** The operator's output from --text or --file: a usage error (exit 2) unless exactly one is given and readable. */
export async function handoffOutputText(options: { text?: string; file?: string }): Promise<string> {
  if ((options.text === undefined) === (options.file === undefined)) {
    throw new CliError('give the output either with --text or with --file, not both', EXIT.badInput);
  }
  if (options.text !== undefined) return options.text;
  try {
    return await readFile(options.file as string, 'utf8');
  } catch {
    throw new CliError(`cannot read ${options.file}`, EXIT.badInput);
  }
}

export async function handoffCompleteCommand(
  client: ApiClient,
  output: Output,
  id: string,
  options: { text?: string; file?: string; by?: string; json: boolean },
): Promise<number> {
  const text = await handoffOutputText(options);
  const { handoff } = (await client.request('POST', `/handoffs/${encodeURIComponent(id)}/complete`, {
    text,
    ...(options.by ? { by: options.by } : {}),
  })) as { handoff: Handoff };
  output.out(
    options.json
      ? JSON.stringify(handoff, null, 2)
      : `Handoff ${handoff.handoffId} completed: run ${handoff.runId} goes on from step ${handoff.stepIndex + 1}.`,
  );
  return EXIT.ok;
}
