import type { Command } from 'commander';
import type { ProgramDeps } from './memory-commands.ts';
import { collect } from './options.ts';

// Loaded only when one of these commands runs, so no other command pays for it.
const control = () => import('./run-control.ts');

/** `aios cancel <runId>`, `aios retry <runId>` and `aios rerun <runId> [--set k=v]...`. */
export function registerRunControlCommands(program: Command, { output, exitWith, client }: ProgramDeps) {
  program
    .command('cancel')
    .description(
      'stop a queued or running run: what it waits on (approvals, handoffs) is withdrawn; lists the effects it already made',
    )
    .argument('<runId>')
    .option('--reason <text>', 'why, kept on the run record')
    .option('--json', 'print JSON', false)
    .action(async (runId: string, options: { reason?: string; json: boolean }) => {
      await exitWith(async () => (await control()).cancelCommand(await client(), output, runId, options));
    });

  program
    .command('retry')
    .description(
      'go on with a failed run from its failed step, in a new execution; completed steps are not executed again',
    )
    .argument('<runId>')
    .option('--json', 'print JSON', false)
    .action(async (runId: string, options: { json: boolean }) => {
      await exitWith(async () => (await control()).retryCommand(await client(), output, runId, options));
    });

  program
    .command('rerun')
    .description('start a new run with the same input (or edited with --set), linked to the old one')
    .argument('<runId>')
    .option('--set <key=value>', 'change one input field (repeatable)', collect, [])
    .option('--json', 'print JSON', false)
    .action(async (runId: string, options: { set: string[]; json: boolean }) => {
      await exitWith(async () => (await control()).rerunCommand(await client(), output, runId, options));
    });
}
