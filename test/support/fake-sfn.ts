import { SFNClient } from '@aws-sdk/client-sfn';

export interface SentCommand {
  command: string;
  input: Record<string, unknown>;
}

/**
 * A real SFN client (the paginator checks its class) whose calls never leave the process: it
 * records each command's name and input, answers GetExecutionHistory from `history` or `pages` and the rest
 * from `answer`, and throws whatever `fail` returns for a command.
 */
export function fakeSfn(
  options: {
    pages?: Record<string, unknown>[];
    /** One execution's history page, by the request (executionArn, reverseOrder); before `pages`. */
    history?: (sent: SentCommand) => Record<string, unknown> | undefined;
    fail?: (sent: SentCommand) => Error | undefined;
    /** The answer to a command other than GetExecutionHistory (default `{}`). */
    answer?: (sent: SentCommand) => Record<string, unknown> | undefined;
  } = {},
) {
  const sent: SentCommand[] = [];
  const client = new SFNClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  Object.assign(client, {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const entry = { command: command.constructor.name, input: command.input };
      sent.push(entry);
      const failure = options.fail?.(entry);
      if (failure) throw failure;
      if (entry.command === 'GetExecutionHistoryCommand') {
        const index = entry.input.nextToken ? Number(entry.input.nextToken) : 0;
        return options.history?.(entry) ?? options.pages?.[index] ?? { events: [] };
      }
      return options.answer?.(entry) ?? {};
    },
  });
  return { client, sent };
}
