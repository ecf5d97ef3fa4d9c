import { type Command, Option } from 'commander';
import type { ProgramDeps } from './memory-commands.ts';
import { positiveInt } from './options.ts';

// Loaded only when the command runs, so no other command pays for it.
const replay = () => import('./replay.ts');

/** `aios replay <runId> [--playbook-version N] [--model recorded|current] [--json]`. */
export function registerReplayCommands(program: Command, { output, exitWith, client }: ProgramDeps) {
  program
    .command('replay')
    .description(
      'replay a past run with every effect off, against the state as it was at its start; prints what differs, step by step',
    )
    .argument('<runId>')
    .option(
      '--playbook-version <n>',
      'replay on this version of the playbook (default: the run’s own)',
      positiveInt,
    )
    .addOption(
      new Option('--model <model>', 'recorded: the run’s model answers; current: ask the model again')
        .choices(['recorded', 'current'])
        .default('recorded'),
    )
    .option('--json', 'print JSON', false)
    .action(
      async (
        runId: string,
        options: { playbookVersion?: number; model: 'recorded' | 'current'; json: boolean },
      ) => {
        await exitWith(async () => (await replay()).replayCommand(await client(), output, runId, options));
      },
    );
}
