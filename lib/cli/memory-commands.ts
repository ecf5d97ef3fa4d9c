import type { Command } from 'commander';
import type { ApiClient } from './api-client.ts';
import type { Output } from './commands.ts';
import type { MemoryAddOptions, MemorySearchOptions } from './memory.ts';
import { positiveInt, positiveNumber } from './options.ts';

export interface ProgramDeps {
  output: Output;
  /** Runs one command and turns its outcome (or its CliError) into the exit code. */
  exitWith: (action: () => Promise<number>) => Promise<void>;
  /** An API client, loaded and built only when a command runs. */
  client: () => Promise<ApiClient>;
}

// Loaded only when a memory command runs, so no other command pays for it.
const memory = () => import('./memory.ts');

/** `aios memory add | search | history | reindex | consolidate`, all through the API. */
export function registerMemoryCommands(program: Command, { output, exitWith, client }: ProgramDeps) {
  const group = program
    .command('memory')
    .description('the memory: add, search and inspect items; rebuild the index; consolidate working memory');

  group
    .command('add')
    .description('write a memory item (to the log first, then the index)')
    .argument('<text>', 'what to remember')
    .requiredOption('--namespace <namespace>', 'operator, customer:<id> or project:<id>')
    .requiredOption('--kind <kind>', 'fact, playbook, postmortem, decision, contract, ...')
    .option('--tier <tier>', 'working or long-term', 'long-term')
    .option('--subject <subject>', 'what it is about, e.g. workflow:onboarding')
    .option('--supersedes <id>', 'write a new version of this item')
    .option('--id <id>', 'an id of your own (makes the write idempotent)')
    .option('--ttl-days <days>', 'working memory: days until it is consolidated', positiveNumber)
    .option('--valid-until <iso>', 'no longer valid after this instant')
    .option('--document <name>', 'origin: the document it came from')
    .option('--json', 'print JSON', false)
    .action(async (text: string, options: MemoryAddOptions) => {
      await exitWith(async () => (await memory()).memoryAddCommand(await client(), output, text, options));
    });

  group
    .command('search')
    .description('ranked memories for a query, each with its origin and score')
    .argument('<query>')
    .requiredOption('--namespace <namespaces>', 'where to search (comma-separated)')
    .option('--kind <kinds>', 'only these kinds (comma-separated)')
    .option('--tier <tiers>', 'only these tiers: working, long-term (comma-separated)')
    .option('--subject <subjects>', 'only items about these (comma-separated)')
    .option('--since <iso>', 'only items valid from this instant on')
    .option('-k, --limit <k>', 'how many results', positiveInt, 10)
    .option('--json', 'print JSON', false)
    .action(async (query: string, options: MemorySearchOptions) => {
      await exitWith(async () =>
        (await memory()).memorySearchCommand(await client(), output, query, options),
      );
    });

  group
    .command('history')
    .description('every version of a memory item, and how each stands')
    .argument('<id>')
    .option('--json', 'print JSON', false)
    .action(async (id: string, options: { json: boolean }) => {
      await exitWith(async () => (await memory()).memoryHistoryCommand(await client(), output, id, options));
    });

  group
    .command('reindex')
    .description('build a new index version from the log and switch the alias to it')
    .option('--json', 'print JSON', false)
    .action(async (options: { json: boolean }) => {
      await exitWith(async () => (await memory()).memoryReindexCommand(await client(), output, options));
    });

  group
    .command('consolidate')
    .description('summarise expired working memory into long-term memory and retire what has expired')
    .option('--as-of <iso>', 'evaluate expiry as of this instant')
    .option('--json', 'print JSON', false)
    .action(async (options: { asOf?: string; json: boolean }) => {
      await exitWith(async () => (await memory()).memoryConsolidateCommand(await client(), output, options));
    });
}
