import { type Command, InvalidArgumentError } from 'commander';
import { DEFAULT_SINCE, isSince, SINCE_PROBLEM } from '../../functions/core/metrics/since.ts';
import type { ProgramDeps } from './memory-commands.ts';

// Loaded only when `aios metrics` or `aios cost` runs, so no other command pays for it.
const metrics = () => import('./metrics.ts');

const since = (value: string) => {
  if (!isSince(value.trim())) throw new InvalidArgumentError(SINCE_PROBLEM);
  return value.trim();
};

/** `aios metrics` and `aios cost`, through GET /metrics and GET /runs/{id}/cost. */
export function registerMetricsCommands(program: Command, { output, exitWith, client }: ProgramDeps) {
  program
    .command('metrics')
    .description(
      'per workflow and version: runs, failures and why, overrides, durations, time saved, cost per task',
    )
    .option('--workflow <name>', 'only this workflow')
    .option('--since <window>', 'how far back: 30d, 12h, 90m or an ISO 8601 time', since, DEFAULT_SINCE)
    .option('--json', 'print JSON', false)
    .action(async (options: { workflow?: string; since: string; json: boolean }) => {
      await exitWith(async () => (await metrics()).metricsCommand(await client(), output, options));
    });

  program
    .command('cost')
    .description('what one run cost: model spend from its journal and the AWS usage it recorded, priced')
    .argument('<runId>')
    .option('--json', 'print JSON', false)
    .action(async (runId: string, options: { json: boolean }) => {
      await exitWith(async () => (await metrics()).costCommand(await client(), output, runId, options));
    });
}
