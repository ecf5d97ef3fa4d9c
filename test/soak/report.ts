import { renderTable } from '../../bench/table.ts';
import type { FaultWindow } from '../../lib/local/faults.ts';
import type { ExitRecord } from './aios-process.ts';
import type { ApproverStats } from './approver.ts';
import type { SoakSettings } from './options.ts';
import type { EffectProblems, KeyCount, RunRecord, WebhookRepeats } from './verdict.ts';

/** Everything the soak found; `--json` prints exactly this. */
export interface SoakResult {
  ok: boolean;
  command: string;
  commit?: string;
  startedAt: string;
  wallSeconds: number;
  dataDir: string;
  dataDirKept: boolean;
  settings: SoakSettings;
  runs: {
    planned: number;
    started: number;
    notStarted: number;
    succeeded: number;
    failed: number;
    stuck: number;
    lost: number;
    /** Listed by GET /runs, unknown to GET /runs/{id}: an index entry a crash left without its item. */
    phantoms: string[];
  };
  kills: { total: number; random: number; windows: Partial<Record<FaultWindow, number>> };
  /** Exits nobody caused: the runtime crashed by itself. */
  unexpectedExits: ExitRecord[];
  generations: number;
  effects: {
    doubled: number;
    webhook: WebhookRepeats;
    emailsDoubled: KeyCount[];
    stateDoubled: EffectProblems['stateDoubled'];
    /** One POST /runs that became more than one run. */
    runsDoubled: { n: number; runIds: string[] }[];
    missing: EffectProblems['missing'];
  };
  starts: { withoutAnswer: number; foundAfterCrash: number; repostedAfterCrash: number };
  approvals: Omit<ApproverStats, 'serverErrors' | 'refusedWhilePending' | 'staleInInbox'> & {
    serverErrors: number;
    serverErrorSamples: string[];
  };
  /** Approvals whose decision was refused while their record stayed PENDING (issue 8, defect 3). */
  refusedWhilePending: string[];
  /** Approvals listed as pending in the inbox whose record is decided or missing. */
  staleInInbox: string[];
  /** Every run that did not succeed, with what the API says about it. */
  problems: RunRecord[];
  fatal?: string;
}

const minutes = (seconds: number) =>
  `${Math.floor(seconds / 60)}m ${String(Math.round(seconds % 60)).padStart(2, '0')}s`;

export function renderReport(result: SoakResult): string {
  const { runs, kills, effects, starts, approvals } = result;
  const windows = Object.entries(kills.windows)
    .map(([window, n]) => `${window} ${n}`)
    .join(', ');
  const rows: [string, string][] = [
    [
      'runs started',
      `${runs.started} of ${runs.planned}${runs.notStarted ? ` (${runs.notStarted} not started in time)` : ''}`,
    ],
    ['kills (SIGKILL)', String(kills.total)],
    ['  at random moments', String(kills.random)],
    ['  at the known windows', `${kills.total - kills.random}${windows ? ` (${windows})` : ''}`],
    ['runtime exits nobody caused', String(result.unexpectedExits.length)],
    ['succeeded', String(runs.succeeded)],
    ['failed', String(runs.failed)],
    ['stuck (not finished by the deadline)', String(runs.stuck)],
    ['lost (acknowledged, then unknown)', String(runs.lost)],
    ['phantom runs (listed, yet "does not exist")', String(runs.phantoms.length)],
    ['effects doubled', String(effects.doubled)],
    ['  webhook key delivered twice in one life', String(effects.webhook.doubled.length)],
    ['  emails per intent > 1', String(effects.emailsDoubled.length)],
    ['  entity written more than its steps', String(effects.stateDoubled.length)],
    ['  one POST /runs, several runs', String(effects.runsDoubled.length)],
    ['effects missing from a succeeded run', String(effects.missing.length)],
    [
      'webhook keys re-sent across a crash (provider deduped)',
      String(effects.webhook.resentAfterCrash.length),
    ],
    [
      'POST /runs without an answer (then found / re-posted)',
      `${starts.withoutAnswer} (${starts.foundAfterCrash} / ${starts.repostedAfterCrash})`,
    ],
    [
      'approvals seen / decisions sent (api, link, slack)',
      `${approvals.seen} / ${approvals.sent.api + approvals.sent.link + approvals.sent.slack} (${approvals.sent.api}, ${approvals.sent.link}, ${approvals.sent.slack})`,
    ],
    ['  double clicks / refused', `${approvals.doubleClicks} / ${approvals.refused}`],
    [
      '  decisions answered 5xx / no answer (aios down or killed)',
      `${approvals.serverErrors} / ${approvals.unanswered}`,
    ],
    ['approvals refused while still PENDING', String(result.refusedWhilePending.length)],
    ['inbox entries for decided approvals (stale)', String(result.staleInInbox.length)],
    ['runtime lives (generations)', String(result.generations)],
    ['wall time', minutes(result.wallSeconds)],
  ];
  const lines = [
    `# aios soak: ${result.ok ? 'PASS' : 'FAIL'}`,
    '',
    `command: ${result.command}`,
    `commit:  ${result.commit ?? 'unknown'}; started ${result.startedAt}`,
    `faults:  ${result.settings.faults || 'none'}; random kill every ~${result.settings.killEverySeconds} s; ${result.settings.concurrency} runs at a time; approvals clicked ${result.settings.approveAfterMs ? `after ${result.settings.approveAfterMs} ms` : 'at once'}; settle ${result.settings.settleSeconds} s`,
    '',
    renderTable([{ header: 'soak' }, { header: 'count', align: 'right' }], rows),
  ];
  if (result.fatal) lines.push('', `The soak stopped early: ${result.fatal}`);
  if (result.problems.length > 0) {
    lines.push('', '## Runs that did not succeed', '');
    for (const p of result.problems) {
      const where = p.waitingIn ? `, waits in "${p.waitingIn}"` : '';
      const approval = p.approvalStatus ? `, approval ${p.approvalStatus}` : '';
      lines.push(
        `- ${p.runId ?? `(run ${p.n}, no id)`} [${p.workflow}] ${p.outcome}: status ${p.status ?? '?'}${where}${approval}`,
      );
      if (p.lastEvent) lines.push(`    last event: ${p.lastEvent}`);
      if (p.failure)
        lines.push(
          `    failure: ${p.failure.error}: ${p.failure.account.replace(/\s+/g, ' ').slice(0, 400)}`,
        );
      if (p.startError) lines.push(`    start refused: ${p.startError}`);
      if (p.hint) lines.push(`    looks like: ${p.hint}`);
    }
  }
  if (result.refusedWhilePending.length + result.staleInInbox.length > 0) {
    lines.push('', '## Approvals', '');
    for (const id of result.refusedWhilePending)
      lines.push(`- ${id}: a decision was refused, yet it stayed PENDING`);
    for (const id of result.staleInInbox)
      lines.push(`- ${id}: listed in the inbox as pending, but its record is decided or missing`);
  }
  if (runs.phantoms.length > 0) {
    lines.push(
      '',
      '## Phantom runs',
      '',
      'GET /runs lists these (a crash hit POST /runs), GET /runs/{id} says they do not exist; the soak posted the request again:',
      ...runs.phantoms.map((id) => `- ${id}`),
    );
  }
  const doubles = [
    ...effects.webhook.doubled.map((d) => `webhook key ${d.key} delivered ${d.count} times in one life`),
    ...effects.emailsDoubled.map((d) => `email key ${d.key}: ${d.count} .eml files`),
    ...effects.stateDoubled.map(
      (d) => `${d.runId} step ${d.stepIndex}: ${d.entity} at version ${d.recorded}, expected ${d.expected}`,
    ),
    ...effects.runsDoubled.map(
      (d) => `run ${d.n} was created ${d.runIds.length} times: ${d.runIds.join(', ')}`,
    ),
    ...effects.missing.map(
      (m) => `${m.runId} step ${m.stepIndex}: ${m.action} succeeded but ${m.key} never arrived`,
    ),
  ];
  if (doubles.length > 0)
    lines.push('', '## Effects doubled or missing', '', ...doubles.map((d) => `- ${d}`));
  for (const exit of result.unexpectedExits) {
    lines.push(
      '',
      `## aios dev generation ${exit.generation} exited by itself (code ${exit.code}, signal ${exit.signal})`,
      '',
      ...exit.tail.slice(-15).map((l) => `    ${l}`),
    );
  }
  lines.push(
    '',
    result.dataDirKept
      ? `data dir kept: ${result.dataDir} (aios dev's output in soak-aios-dev.log; to dig in, AIOS_DATA_DIR=${result.dataDir} AIOS_PORT=18790 npx aios dev, then npx aios show|history|audit <runId> with the same variables)`
      : `data dir removed: ${result.dataDir}`,
  );
  return lines.join('\n');
}
