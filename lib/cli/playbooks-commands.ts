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
    .description('one playbook: the newest version, or --ver N (--version is the CLI version)')
    .argument('<name>')
    .option('--ver <n>', 'this version', positiveInt)
    .option('--json', 'print JSON', false)
    .action(async (name: string, options: { ver?: number; json: boolean }) => {
      await exitWith(async () =>
        (await playbooks()).showCommand(await client(), output, name, {
          version: options.ver,
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
