import { join } from 'node:path';
import { DEFAULT_PORT } from '../cli/paths.ts';
import { modelFromEnv } from './model-from-env.ts';
import { startLocalRuntime } from './runtime.ts';

/** `aios dev`: the local runtime in the foreground until Ctrl-C; a restart resumes every run. */
export async function startDevServer(options: { port: number; dataDir: string }): Promise<number> {
  const { model, description } = modelFromEnv();
  const runtime = await startLocalRuntime({
    dataDir: options.dataDir,
    port: options.port,
    model,
    onExecutionEvent: (executionArn, event) => {
      const name = executionArn.split(':').pop();
      const state = event.details?.stateName ? ` ${String(event.details.stateName)}` : '';
      if (/StateEntered|ExecutionSucceeded|ExecutionFailed|TaskFailed/.test(event.type)) {
        console.log(`${new Date().toISOString().slice(11, 23)}  ${name}  ${event.type}${state}`);
      }
    },
    onWorkerError: (error) => console.error(`gateway worker: ${error.message}`),
    // The email outbox holds the message; the link is printed too, so it can be opened from here.
    onApprovalLink: (approval, email, link) =>
      console.log(`approval ${approval.approvalId} waits: magic link for ${email}: ${link}`),
  });
  // The CLI finds aios by AIOS_PORT (or AIOS_API_URL): on another port, the hint says so.
  const port = Number(new URL(runtime.url).port);
  const cli = port === DEFAULT_PORT ? 'npx aios' : `AIOS_PORT=${port} npx aios`;
  console.log(
    [
      `aios is running at ${runtime.url}`,
      `  data     ${options.dataDir}`,
      `  token    ${join(options.dataDir, 'api-token')} (the CLI reads it; send it as "Authorization: Bearer <token>")`,
      `  model    ${description}`,
      `  outbox   ${join(options.dataDir, 'outbox')}`,
      '',
      'In another terminal:',
      `  ${cli} run onboarding --input playbooks/examples/new-customer.json`,
      `  ${cli} runs`,
      '',
      'Ctrl-C stops aios; unfinished runs resume on the next start.',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  console.log('stopping aios…');
  await runtime.close();
  return 0;
}
