import { readFile } from 'node:fs/promises';
import type { PlaybookVersion, PolicyVersion } from '../../functions/core/ports.ts';
import type { ApiClient } from './api-client.ts';
import type { Output } from './commands.ts';
import { CliError, EXIT } from './errors.ts';

// What `aios playbooks ...` does once its options are parsed (playbooks-commands.ts declares them).

export async function readPlaybookFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`, EXIT.badInput);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`${file} is not JSON: ${(error as Error).message}`, EXIT.badInput);
  }
}

const line = (v: PlaybookVersion) =>
  `${v.workflow.name} v${v.workflow.version}  pushed ${v.pushedAt} by ${v.pushedBy}  ${v.workflow.description}`;

export async function listCommand(api: ApiClient, output: Output, options: { json: boolean }) {
  const { playbooks } = await api.request<{ playbooks: PlaybookVersion[] }>('GET', '/playbooks');
  if (options.json) output.out(JSON.stringify(playbooks, null, 2));
  else if (playbooks.length === 0) output.out('No playbooks pushed yet.');
  else for (const p of playbooks) output.out(line(p));
  return EXIT.ok;
}

export async function showCommand(
  api: ApiClient,
  output: Output,
  name: string,
  options: { version?: number; json: boolean },
) {
  const query = options.version === undefined ? '' : `?version=${options.version}`;
  const found = await api.request<PlaybookVersion>('GET', `/playbooks/${encodeURIComponent(name)}${query}`);
  output.out(
    options.json
      ? JSON.stringify(found, null, 2)
      : `${line(found)}\n${JSON.stringify(found.workflow, null, 2)}`,
  );
  return EXIT.ok;
}

export async function pushCommand(api: ApiClient, output: Output, file: string, options: { json: boolean }) {
  const result = await api.request<{
    status: 'pushed' | 'unchanged';
    workflow: { name: string; version: number };
  }>('POST', '/playbooks', await readPlaybookFile(file));
  output.out(
    options.json
      ? JSON.stringify(result, null, 2)
      : result.status === 'pushed'
        ? `Pushed ${result.workflow.name} v${result.workflow.version}: new runs use it; runs in flight keep their version.`
        : `${result.workflow.name} v${result.workflow.version} is already the newest, unchanged.`,
  );
  return EXIT.ok;
}

export async function diffCommand(api: ApiClient, output: Output, file: string, options: { json: boolean }) {
  const diff = await api.request<{ problems: string[]; changed: string[]; from?: number }>(
    'POST',
    '/playbooks/diff',
    await readPlaybookFile(file),
  );
  if (options.json) output.out(JSON.stringify(diff, null, 2));
  else {
    output.out(
      diff.from === undefined
        ? 'A new playbook.'
        : diff.changed.length === 0
          ? `Nothing changes against v${diff.from}.`
          : `Against v${diff.from}, changes: ${diff.changed.join(', ')}`,
    );
    for (const problem of diff.problems) output.out(`problem: ${problem}`);
  }
  // A file that push would refuse is bad input, as it would be for push.
  return diff.problems.length > 0 ? EXIT.badInput : EXIT.ok;
}

const policyLine = (v: PolicyVersion) =>
  `policy v${v.version}  pushed ${v.pushedAt} by ${v.pushedBy}${v.reason ? `  because: ${v.reason}` : ''}`;

export async function policyShowCommand(
  api: ApiClient,
  output: Output,
  options: { version?: number; json: boolean },
) {
  const query = options.version === undefined ? '' : `?version=${options.version}`;
  const found = await api.request<PolicyVersion>('GET', `/policy${query}`);
  output.out(
    options.json
      ? JSON.stringify(found, null, 2)
      : `${policyLine(found)}\n${JSON.stringify(found.policy, null, 2)}`,
  );
  return EXIT.ok;
}

export async function policyPushCommand(
  api: ApiClient,
  output: Output,
  file: string,
  options: { reason: string; json: boolean },
) {
  const result = await api.request<PolicyVersion & { status: 'pushed' | 'unchanged' }>('PUT', '/policy', {
    policy: await readPlaybookFile(file),
    reason: options.reason,
  });
  output.out(
    options.json
      ? JSON.stringify(result, null, 2)
      : result.status === 'pushed'
        ? `Pushed policy v${result.version}: every decision from now on uses it, and new approvals go to its approvers.`
        : `Policy v${result.version} is already this policy, unchanged.`,
  );
  return EXIT.ok;
}
