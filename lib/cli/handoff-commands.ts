import type { Command } from 'commander';
import type { ProgramDeps } from './memory-commands.ts';

// Loaded only when a handoff command runs, so no other command pays for it.
const handoffs = () => import('./handoffs.ts');

/** `aios handoffs` and `aios handoff complete <id>`, through GET /handoffs and POST /handoffs/{id}/complete. */
export function registerHandoffCommands(program: Command, { output, exitWith, client }: ProgramDeps) {
  program
    .command('handoffs')
    .description('list the model steps handed to you: what the model could not do, with why')
    .option('--json', 'print JSON', false)
    .action(async (options: { json: boolean }) => {
      await exitWith(async () => (await handoffs()).handoffsCommand(await client(), output, options));
    });

  program
    .command('handoff')
    .description('finish a handed-off step')
    .command('complete')
    .description(
      "write a handed-off step's output (a draft's text, or an extraction's fields as JSON); the run goes on",
    )
    .argument('<handoffId>')
    .option('--text <text>', 'the output')
    .option('--file <path>', 'read the output from this file')
    .option('--by <name>', 'who wrote it, kept on the record', 'operator')
    .option('--json', 'print JSON', false)
    .action(async (id: string, options: { text?: string; file?: string; by: string; json: boolean }) => {
      await exitWith(async () => {
        const cli = await handoffs();
        // A usage error is found before the CLI looks for the API or its token.
        const text = await cli.handoffOutputText(options);
        return cli.handoffCompleteCommand(await client(), output, id, { ...options, text, file: undefined });
      });
    });
}
