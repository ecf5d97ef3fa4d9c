import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ScheduleFire } from '../../functions/core/ports/triggers.ts';
import type { ScheduleView } from '../../functions/core/triggers/schedule-fires.ts';
import type { ApiClient } from './api-client.ts';
import type { Output } from './commands.ts';
import { CliError, EXIT } from './errors.ts';
import { dataDir } from './paths.ts';
import type { Target } from './target.ts';

// What `aios schedules` and `aios hooks secret` do once their options are parsed (trigger-commands.ts declares them).

const fireLine = (fire: ScheduleFire) =>
  `${fire.scheduledAt} ${fire.status.toLowerCase()} run ${fire.runId}${fire.reason ? ` (${fire.reason})` : ''}`;

export function formatSchedules(schedules: ScheduleView[]): string {
  if (schedules.length === 0) return 'No scheduled playbooks.';
  return schedules
    .flatMap((s) => [
      `${s.playbook} v${s.version}: ${s.expression} (${s.timezone})${s.paused ? ' PAUSED' : ''}`,
      `  next: ${s.nextFires.join(', ') || 'none'}`,
      `  last: ${s.lastFire ? fireLine(s.lastFire) : 'never fired'}`,
    ])
    .join('\n');
}

export async function schedulesCommand(
  api: ApiClient,
  output: Output,
  options: { json: boolean },
): Promise<number> {
  const { schedules } = await api.request<{ schedules: ScheduleView[] }>('GET', '/schedules');
  output.out(options.json ? JSON.stringify(schedules, null, 2) : formatSchedules(schedules));
  return EXIT.ok;
}

export async function scheduleActionCommand(
  api: ApiClient,
  output: Output,
  action: 'pause' | 'resume' | 'fire',
  playbook: string,
  options: { json: boolean },
): Promise<number> {
  const answer = await api.request<{ schedule?: { paused: boolean }; fire?: ScheduleFire }>(
    'POST',
    `/schedules/${encodeURIComponent(playbook)}/${action}`,
  );
  if (options.json) output.out(JSON.stringify(answer, null, 2));
  else if (answer.fire) output.out(`${playbook}: fired at ${fireLine(answer.fire)}`);
  else output.out(`${playbook}: ${answer.schedule?.paused ? 'paused' : 'resumed'}`);
  return EXIT.ok;
}

/** Locally the file `aios dev` created; on AWS the stack's secret `<stack>/hooks/<playbook>`. */
export async function hookSecretCommand(target: Target, output: Output, playbook: string): Promise<number> {
  if (target.kind === 'aws') {
    const { readAwsHookSecret } = await import('./aws-hook-secret.ts');
    output.out(await readAwsHookSecret(target, playbook));
    return EXIT.ok;
  }
  const file = join(dataDir(), 'hooks', playbook);
  try {
    output.out((await readFile(file, 'utf8')).trim());
    return EXIT.ok;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new CliError(
      `no hook secret for ${playbook} in ${file}: ${playbook} is no webhook playbook, or \`aios dev\` has not started with it yet`,
      EXIT.notFound,
    );
  }
}
