import type { MadeEffect } from '../../functions/core/run-control/run-control.ts';
import type { Run } from '../../functions/core/schemas.ts';
import type { ApiClient } from './api-client.ts';
import { type Output, readInput } from './commands.ts';
import { EXIT } from './errors.ts';

// What `aios cancel | retry | rerun` do once their options are parsed (registered in
// run-control-commands.ts), through POST /runs/{id}/cancel, /retry and /rerun.

const runPath = (runId: string, what: string) => `/runs/${encodeURIComponent(runId)}/${what}`;

function formatEffects(effects: readonly MadeEffect[]): string {
  if (effects.length === 0) return 'No effect had been made.';
  return [
    `Effects already made (not undone):`,
    ...effects.map((e) => `  step ${e.stepIndex + 1} ${e.stepId}: ${e.actionType}`),
  ].join('\n');
}

export async function cancelCommand(
  client: ApiClient,
  output: Output,
  runId: string,
  options: { reason?: string; json: boolean },
): Promise<number> {
  const cancelled = await client.request<{
    run: Run;
    effects: MadeEffect[];
    withdrawn: { approvals: string[]; handoffs: string[] };
    compensation?: string;
  }>('POST', runPath(runId, 'cancel'), options.reason ? { reason: options.reason } : {});
  if (options.json) {
    output.out(JSON.stringify(cancelled, null, 2));
    return EXIT.ok;
  }
  const withdrawn = [...cancelled.withdrawn.approvals, ...cancelled.withdrawn.handoffs];
  output.out(`Run ${runId} cancelled.`);
  if (withdrawn.length > 0)
    output.out(`Withdrawn (their links and buttons decide nothing now): ${withdrawn.join(', ')}`);
  output.out(
    cancelled.compensation
      ? `${formatEffects(cancelled.effects).replace('(not undone)', '(being undone, newest first, as the playbook says)')}\nFollow it: aios history ${runId}`
      : formatEffects(cancelled.effects),
  );
  return EXIT.ok;
}

export async function retryCommand(
  client: ApiClient,
  output: Output,
  runId: string,
  options: { json: boolean },
): Promise<number> {
  const { run } = await client.request<{ run: Run }>('POST', runPath(runId, 'retry'), {});
  output.out(
    options.json
      ? JSON.stringify(run, null, 2)
      : `Run ${runId} goes on from its failed step (execution ${run.execution ?? runId}); completed steps are not executed again. Follow it: aios show ${runId}`,
  );
  return EXIT.ok;
}

export async function rerunCommand(
  client: ApiClient,
  output: Output,
  runId: string,
  options: { set: string[]; json: boolean },
): Promise<number> {
  // Text, as for `aios run`: the server reads numbers and booleans where the input schema asks for them.
  const set = await readInput(undefined, options.set, 'text');
  const started = await client.request<{ runId: string; status: string; workflow: string }>(
    'POST',
    runPath(runId, 'rerun'),
    { set },
  );
  output.out(
    options.json
      ? JSON.stringify(started, null, 2)
      : `Run ${started.runId} started (${started.workflow}), a rerun of ${runId}. Follow it: aios show ${started.runId}`,
  );
  return EXIT.ok;
}
