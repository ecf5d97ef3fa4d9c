import { type Command, InvalidArgumentError } from 'commander';
import type { ProgramDeps } from './memory-commands.ts';
import type { Target } from './target.ts';

// Loaded only when `aios schedules` or `aios hooks` runs, so no other command pays for it.
const triggers = () => import('./triggers.ts');

// A playbook name as SlugSchema has it, checked without loading zod: every command pays for what this file imports.
const playbook = (value: string) => {
  if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(value))
    throw new InvalidArgumentError('a playbook name: lower-case letters, digits and hyphens');
  return value;
};

/** `aios schedules [pause|resume|fire]` through /schedules, and `aios hooks secret` (the secret itself). */
export function registerTriggerCommands(
  program: Command,
  { output, exitWith, client, target }: ProgramDeps & { target: () => Target },
) {
  const schedules = program
    .command('schedules')
    .description('scheduled playbooks: expression, time zone, next fires, last fire and its run, paused');
  schedules
    .command('list', { isDefault: true })
    .description('the scheduled playbooks (what `aios schedules` alone prints)')
    .option('--json', 'print JSON', false)
    .action(async (options: { json: boolean }) => {
      await exitWith(async () => (await triggers()).schedulesCommand(await client(), output, options));
    });
  for (const [action, description] of [
    ['pause', "pause a playbook's schedule: its fires start nothing until resumed (no redeploy)"],
    ['resume', "resume a playbook's schedule"],
    ['fire', 'start the run the schedule would start now, through the same path'],
  ] as const) {
    schedules
      .command(action)
      .description(description)
      .argument('<playbook>', 'a scheduled playbook, e.g. invoice-follow-up', playbook)
      .option('--json', 'print JSON', false)
      .action(async (name: string, options: { json: boolean }) => {
        await exitWith(async () =>
          (await triggers()).scheduleActionCommand(await client(), output, action, name, options),
        );
      });
  }

  program
    .command('hooks')
    .description("webhook playbooks' signing secrets")
    .command('secret')
    .description("print a webhook playbook's signing secret (HMAC-SHA256 key of the aios-signature header)")
    .argument('<playbook>', 'a webhook playbook, e.g. payment-received', playbook)
    .action(async (name: string) => {
      await exitWith(async () => (await triggers()).hookSecretCommand(target(), output, name));
    });
}
