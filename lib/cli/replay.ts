import type {
  ReplayEffect,
  ReplayRecord,
  ReplayStep,
  StepOutcome,
} from '../../functions/core/replay/schemas.ts';
import type { ApiClient } from './api-client.ts';
import type { Output } from './commands.ts';
import { EXIT } from './errors.ts';

// What `aios replay` does once its options are parsed (registered in replay-commands.ts),
// through POST /runs/{id}/replay.

const money = (usd: number) => `$${usd.toFixed(4)}`;

function effectText(effect: ReplayEffect | null | undefined): string {
  if (!effect) return '-';
  const target = effect.writes
    ? `${effect.writes.entityType}/${effect.writes.entityId} v${effect.writes.fromVersion}→v${effect.writes.toVersion}`
    : typeof effect.params.url === 'string'
      ? `${String(effect.params.method ?? 'POST')} ${effect.params.url}`
      : Array.isArray(effect.params.to)
        ? `to ${effect.params.to.join(', ')}`
        : '';
  const when = effect.when === 'now' ? '' : ` (${effect.when})`;
  return `${effect.type}${target ? ` ${target}` : ''}${when}`;
}

const decisionText = (outcome: StepOutcome | undefined) => outcome?.decision ?? '-';

function row(step: ReplayStep, index: number): string[] {
  const now = step.replay ?? step.original;
  return [
    String(index + 1),
    step.stepId,
    step.plan,
    decisionText(step.replay),
    step.replay?.approvalNeeded ? 'yes' : 'no',
    effectText(step.replay?.effect),
    money(now?.costUsd ?? 0),
    step.differences.length === 0 ? '-' : step.differences.map((d) => d.field).join(', '),
  ];
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((r) => (r[column] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const shown = (value: unknown) => (value === null || value === undefined ? '-' : JSON.stringify(value));

/** The replay as the operator reads it: one line per step, then each difference spelled out. */
export function formatReplay(replay: ReplayRecord): string {
  const version =
    replay.playbookVersion === replay.originalVersion
      ? `v${replay.playbookVersion}`
      : `v${replay.originalVersion} → v${replay.playbookVersion}`;
  const lines = [
    `Replay ${replay.replayId} of run ${replay.runId}: ${replay.workflow} ${version}, ${replay.model} model, state as of ${replay.snapshotAt}. Effects off: nothing was sent or written.`,
    '',
    table([
      ['#', 'step', 'plan', 'policy', 'approval', 'effect it would make', 'cost', 'differs in'],
      ...replay.steps.map(row),
    ]),
    '',
  ];
  for (const step of replay.steps) {
    for (const difference of step.differences) {
      lines.push(
        `  ${step.stepId}: ${difference.field}: ${shown(difference.original)} → ${shown(difference.replay)}`,
      );
    }
    const note = step.replay?.note;
    if (note) lines.push(`  ${step.stepId}: ${note}`);
  }
  if (replay.planning.note) lines.push(`  planning: ${replay.planning.note}`);
  lines.push(
    replay.differences === 0
      ? `No differences: the replay reproduces the run. Model cost ${money(replay.cost.replayUsd)}.`
      : `${replay.differences} difference${replay.differences === 1 ? '' : 's'}. Model cost ${money(replay.cost.originalUsd)} then, ${money(replay.cost.replayUsd)} now.`,
  );
  return lines.join('\n');
}

export async function replayCommand(
  client: ApiClient,
  output: Output,
  runId: string,
  options: { playbookVersion?: number; model: 'recorded' | 'current'; json: boolean },
): Promise<number> {
  const { replay } = await client.request<{ replay: ReplayRecord }>(
    'POST',
    `/runs/${encodeURIComponent(runId)}/replay`,
    {
      model: options.model,
      ...(options.playbookVersion === undefined ? {} : { playbookVersion: options.playbookVersion }),
    },
  );
  output.out(options.json ? JSON.stringify(replay, null, 2) : formatReplay(replay));
  return EXIT.ok;
}
