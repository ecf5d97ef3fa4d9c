import type { Command } from 'commander';
import type { ProgramDeps } from './memory-commands.ts';
import { collect } from './options.ts';

// Loaded only when one of these commands runs, so no other command pays for it.
const trust = () => import('./trust.ts');

/** `aios reviews`, `aios review <id> <verdict>`, `aios trust <workflow>`, `aios promote | demote <workflow>`. */
export function registerTrustCommands(program: Command, { output, exitWith, client }: ProgramDeps) {
  program
    .command('reviews')
    .description("shadow runs' proposed actions waiting for your verdict")
    .option('--json', 'print JSON', false)
    .action(async (options: { json: boolean }) => {
      await exitWith(async () => (await trust()).reviewsCommand(await client(), output, options));
    });

  program
    .command('review')
    .description(
      'judge a proposed action: agree (as you would do it), change (with --set), reject (you would not do it)',
    )
    .argument('<reviewId>')
    .argument('<verdict>', 'agree | change | reject')
    .option('--set <key=value>', 'with change: a parameter as you would have it (repeatable)', collect, [])
    .option('--note <text>', 'why, kept with the judgement')
    .option('--by <name>', 'who judged', 'operator')
    .option('--json', 'print JSON', false)
    .action(
      async (
        id: string,
        verdict: string,
        options: { set: string[]; note?: string; by: string; json: boolean },
      ) => {
        await exitWith(async () =>
          (await trust()).reviewCommand(await client(), output, id, verdict, options),
        );
      },
    );

  program
    .command('trust')
    .description("a workflow's mode, agreement per version, suggestions and mode changes")
    .argument('<workflow>')
    .option('--json', 'print JSON', false)
    .action(async (workflow: string, options: { json: boolean }) => {
      await exitWith(async () => (await trust()).trustCommand(await client(), output, workflow, options));
    });

  for (const to of ['promote', 'demote'] as const) {
    program
      .command(to)
      .description(
        to === 'promote'
          ? "shadow → live, only when the workflow's promotion gate is met (refuses with the numbers otherwise)"
          : 'live → shadow, at once',
      )
      .argument('<workflow>')
      .option('--why <text>', 'why, kept in the audit log')
      .option('--by <name>', 'who', 'operator')
      .option('--json', 'print JSON', false)
      .action(async (workflow: string, options: { why?: string; by: string; json: boolean }) => {
        await exitWith(async () =>
          (await trust()).modeCommand(await client(), output, workflow, to, options),
        );
      });
  }
}
