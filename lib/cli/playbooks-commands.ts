import type { Command } from 'commander';
import type { ProgramDeps } from './memory-commands.ts';
import { positiveInt } from './options.ts';

// Loaded only when a playbooks command runs, so no other command pays for it.
const playbooks = () => import('./playbooks.ts');

/** `aios playbooks list|show|push|diff`, through /playbooks. */
export function registerPlaybooksCommands(program: Command, { output, exitWith, client }: ProgramDeps) {
  const group = program
    .command('playbooks')
    .description('the playbook registry: versions pushed without a deploy');
  group
    .command('list')
    .description('the newest version of each playbook')
    .option('--json', 'print JSON', false)
    .action(async (options: { json: boolean }) => {
      await exitWith(async () => (await playbooks()).listCommand(await client(), output, options));
    });
  group
    .command('show')
    .description('one playbook: the newest version, or --version N')
    .argument('<name>')
    .option('--version <n>', 'this version', positiveInt)
    .option('--json', 'print JSON', false)
    .action(async (name: string, options: { version?: number; json: boolean }) => {
      await exitWith(async () =>
        (await playbooks()).showCommand(await client(), output, name, {
          version: options.version,
          json: options.json,
        }),
      );
    });
  group
    .command('push')
    .description('validate a playbook file fully and push it as a new version (every problem is listed)')
    .argument('<file>')
    .option('--json', 'print JSON', false)
    .action(async (file: string, options: { json: boolean }) => {
      await exitWith(async () => (await playbooks()).pushCommand(await client(), output, file, options));
    });
  group
    .command('diff')
    .description('what pushing a playbook file would change, against the newest version')
    .argument('<file>')
    .option('--json', 'print JSON', false)
    .action(async (file: string, options: { json: boolean }) => {
      await exitWith(async () => (await playbooks()).diffCommand(await client(), output, file, options));
    });
}

/** `aios policy show|push`, through /policy: the operator policy (decisions by risk, rules, approvers). */
export function registerPolicyCommands(program: Command, { output, exitWith, client }: ProgramDeps) {
  const group = program
    .command('policy')
    .description('the operator policy in the registry: decisions by risk, rules and approvers');
  group
    .command('show')
    .description('the newest policy with who pushed it and why, or --version N')
    .option('--version <n>', 'this version', positiveInt)
    .option('--json', 'print JSON', false)
    .action(async (options: { version?: number; json: boolean }) => {
      await exitWith(async () =>
        (await playbooks()).policyShowCommand(await client(), output, {
          version: options.version,
          json: options.json,
        }),
      );
    });
  group
    .command('push')
    .description('validate a policy file fully and push it as a new version (every problem is listed)')
    .argument('<file>')
    .requiredOption('--reason <text>', 'why the policy changes (kept with the version)')
    .option('--json', 'print JSON', false)
    .action(async (file: string, options: { reason: string; json: boolean }) => {
      await exitWith(async () =>
        (await playbooks()).policyPushCommand(await client(), output, file, options),
      );
    });
}
