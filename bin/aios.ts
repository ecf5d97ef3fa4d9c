import { Command, CommanderError, Option } from 'commander';
import type { Output } from '../lib/cli/commands.ts';
import { CliError, EXIT } from '../lib/cli/errors.ts';
import { registerHandoffCommands } from '../lib/cli/handoff-commands.ts';
import { registerMemoryCommands } from '../lib/cli/memory-commands.ts';
import { registerMetricsCommands } from '../lib/cli/metrics-commands.ts';
import { collect, port, positiveInt } from '../lib/cli/options.ts';
import { apiUrl, DEFAULT_PORT, dataDir } from '../lib/cli/paths.ts';
import { registerPlaybooksCommands, registerPolicyCommands } from '../lib/cli/playbooks-commands.ts';
import { registerReplayCommands } from '../lib/cli/replay-commands.ts';
import { registerRunControlCommands } from '../lib/cli/run-control-commands.ts';
import { type GlobalOptions, TARGETS, targetOf } from '../lib/cli/target.ts';
import { registerTriggerCommands } from '../lib/cli/trigger-commands.ts';
import { registerTrustCommands } from '../lib/cli/trust-commands.ts';
import packageJson from '../package.json' with { type: 'json' };

// Declaring the commands is cheap; what a command does is imported when it runs, so `aios --help`
// or `aios runs` loads nothing that another command needs (bench: npm run bench, section (e)).
const commands = () => import('../lib/cli/commands.ts');

const output: Output = { out: (line) => console.log(line), err: (line) => console.error(line) };

const retryOptions = {
  onRetry: (reason: string, attempt: number, attempts: number, delayMs: number) =>
    output.err(
      `aios: ${reason}; sending the same request again in ${(delayMs / 1000).toFixed(1)} s (attempt ${attempt} of ${attempts})`,
    ),
};

/** The client of the aios this call is for: the local runtime, or the deployed stack (--target aws). */
async function client() {
  const target = targetOf(program.opts<GlobalOptions>());
  if (target.kind === 'aws') {
    const { createAwsApiClient } = await import('../lib/cli/aws-client.ts');
    return createAwsApiClient(target, retryOptions);
  }
  const { createApiClient } = await import('../lib/cli/api-client.ts');
  return createApiClient(apiUrl(), dataDir(), retryOptions);
}

/** Runs one command and turns its outcome into an exit code; errors are one clear line. */
async function exitWith(action: () => Promise<number>) {
  try {
    process.exitCode = await action();
  } catch (error) {
    if (error instanceof CliError) {
      output.err(`aios: ${error.message}`);
      process.exitCode = error.exitCode;
      return;
    }
    output.err(`aios: unexpected error: ${(error as Error).stack ?? String(error)}`);
    process.exitCode = EXIT.server;
  }
}

// Usage errors throw (exitOverride) instead of exiting 1, so they can exit 2 as the README says.
// Both settings are inherited by every command added below, so they come first.
const program = new Command()
  .name('aios')
  .description(
    'aios: recurring work as reliable, auditable automation. Talks to the local runtime (npm start) at AIOS_API_URL, or with --target aws to the deployed stack.',
  )
  .addOption(
    new Option('--target <target>', 'which aios: the local runtime or the deployed stack')
      .choices(TARGETS)
      .env('AIOS_TARGET')
      .default('local'),
  )
  .option('--stack <name>', 'with --target aws: the CloudFormation stack', 'Aios')
  .option(
    '--profile <profile>',
    'with --target aws: the AWS profile (default: the standard credential chain)',
  )
  .option('--region <region>', "with --target aws: the AWS region (default: AWS_REGION or the profile's)")
  .version(packageJson.version, '-V, --version', 'print the version of aios')
  // The program's options (--target, --version, ...) go before the command, as the README shows them;
  // so a command may have its own --version (a playbook's or policy's) without printing the CLI's.
  .enablePositionalOptions()
  .exitOverride()
  .configureOutput({ outputError: (message, write) => write(`aios: ${message.replace(/^error: /, '')}`) })
  .showHelpAfterError('(aios <command> --help shows how to use it)');

program
  .command('dev')
  .description('run aios locally: API, orchestrator, gateway queue and store, with its data under .aios/')
  .addOption(
    new Option('--port <port>', 'HTTP port')
      .argParser(port)
      .default(Number(process.env.AIOS_PORT ?? DEFAULT_PORT)),
  )
  .action(async (options: { port: number }) => {
    if (targetOf(program.opts<GlobalOptions>()).kind === 'aws') {
      output.err('aios: `aios dev` runs aios on this machine; it takes no --target aws');
      process.exitCode = EXIT.badInput;
      return;
    }
    // The local runtime is not part of the compiled CLI: it loads from source, through tsx.
    const { loadTypeScript } = await import('../lib/cli/typescript.ts');
    await loadTypeScript();
    const { startDevServer } = await import('../lib/local/dev.ts');
    await exitWith(() => startDevServer({ port: options.port, dataDir: dataDir() }));
  });

program
  .command('run')
  .description('start a run of a workflow and follow it to the end')
  .argument('<workflow>', 'workflow name, e.g. onboarding')
  .option('-i, --input <file>', 'JSON file with the run input')
  .option(
    '--set <key=value>',
    'set one input field (repeatable; value parsed as JSON when it can be)',
    collect,
    [],
  )
  .addOption(new Option('--mode <mode>', 'run mode').choices(['live', 'shadow']))
  .option('--no-wait', 'print the run id and return at once')
  .option('--timeout <seconds>', 'stop following after this long', positiveInt, 600)
  .option('--json', 'print the final run details as JSON', false)
  .action(
    async (
      workflow: string,
      options: {
        input?: string;
        set: string[];
        mode?: string;
        wait: boolean;
        timeout: number;
        json: boolean;
      },
    ) => {
      await exitWith(async () =>
        (await commands()).runCommand(await client(), output, workflow, {
          ...options,
          pollMs: 300,
          timeoutMs: options.timeout * 1000,
        }),
      );
    },
  );

program
  .command('runs')
  .description('list runs, newest first')
  .addOption(
    new Option('--status <status>', 'only runs in this status').choices([
      'QUEUED',
      'RUNNING',
      'SUCCEEDED',
      'FAILED',
      'CANCELLED',
    ]),
  )
  .option('--limit <n>', 'at most this many', positiveInt, 20)
  .option('--json', 'print JSON', false)
  .action(async (options: { status?: string; limit: number; json: boolean }) => {
    await exitWith(async () => (await commands()).runsCommand(await client(), output, options));
  });

program
  .command('show')
  .description("show a run: its plan, each step's intent, action, result and timing")
  .argument('<runId>')
  .option('--json', 'print JSON', false)
  .action(async (runId: string, options: { json: boolean }) => {
    await exitWith(async () => (await commands()).showCommand(await client(), output, runId, options));
  });

program
  .command('history')
  .description("show a run's execution history: every state entered and left, every task, retry and error")
  .argument('<runId>')
  .option('--json', 'print JSON', false)
  .action(async (runId: string, options: { json: boolean }) => {
    await exitWith(async () => (await commands()).historyCommand(await client(), output, runId, options));
  });

program
  .command('audit')
  .description(
    "show a run's audit log: every attempt at an action, who asked, the policy's decision and what became of it; given a workflow's name, its mode changes (promote, demote) with who and why",
  )
  .argument('<runId>', 'a run id, or a workflow name (or workflow-<name>)')
  .option('--json', 'print JSON', false)
  .action(async (runId: string, options: { json: boolean }) => {
    await exitWith(async () => (await commands()).auditCommand(await client(), output, runId, options));
  });

program
  .command('approvals')
  .description('list the approvals waiting for you, oldest first, with their risk and age')
  .option('--json', 'print JSON', false)
  .action(async (options: { json: boolean }) => {
    await exitWith(async () => (await commands()).approvalsCommand(await client(), output, options));
  });

program
  .command('approve')
  .description('approve a waiting step; --set edits a field the request marks editable')
  .argument('<approvalId>')
  .option('--note <text>', 'why, kept on the record')
  .option('--set <key=value>', 'edit an editable parameter first (repeatable)', collect, [])
  .option('--json', 'print JSON', false)
  .action(async (id: string, options: { note?: string; set: string[]; json: boolean }) => {
    await exitWith(async () =>
      (await commands()).decideCommand(await client(), output, id, 'approve', options),
    );
  });

program
  .command('reject')
  .description('reject a waiting step: it is not executed and the run fails with your note')
  .argument('<approvalId>')
  .requiredOption('--note <text>', 'why, kept on the record and in the run account')
  .option('--json', 'print JSON', false)
  .action(async (id: string, options: { note: string; json: boolean }) => {
    await exitWith(async () =>
      (await commands()).decideCommand(await client(), output, id, 'reject', { ...options, set: [] }),
    );
  });

program
  .command('connectors')
  .description('each action type: its risk, its rate limit and the state of its circuit breaker')
  .option('--json', 'print JSON', false)
  .action(async (options: { json: boolean }) => {
    await exitWith(async () => (await commands()).connectorsCommand(await client(), output, options));
  });

const dlq = program.command('dlq').description("the gateway's dead-letter queue: actions it gave up on");
dlq
  .command('list')
  .description('list dead-lettered action messages (task tokens and grants are not shown)')
  .option('--limit <n>', 'at most this many', positiveInt, 20)
  .option('--json', 'print JSON', false)
  .action(async (options: { limit: number; json: boolean }) => {
    await exitWith(async () => (await commands()).dlqListCommand(await client(), output, options));
  });
dlq
  .command('redrive')
  .description('send every dead-lettered message back to the action queue')
  .option('--json', 'print JSON', false)
  .action(async (options: { json: boolean }) => {
    await exitWith(async () => (await commands()).dlqRedriveCommand(await client(), output, options));
  });

registerMemoryCommands(program, { client, output, exitWith });
registerMetricsCommands(program, { client, output, exitWith });
registerTriggerCommands(program, {
  client,
  output,
  exitWith,
  target: () => targetOf(program.opts<GlobalOptions>()),
});
registerHandoffCommands(program, { client, output, exitWith });
registerPlaybooksCommands(program, { client, output, exitWith });
registerPolicyCommands(program, { client, output, exitWith });
registerRunControlCommands(program, { client, output, exitWith });
registerReplayCommands(program, { client, output, exitWith });
registerTrustCommands(program, { client, output, exitWith });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (!(error instanceof CommanderError)) throw error;
  // Commander has printed what was wrong; --help and --version are its only successful exits.
  process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.badInput;
}
