/**
 * `npm run soak`: fault injection against the real local runtime. See USAGE in ./options.ts
 * and the Tests section of the README.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IDEMPOTENCY_HEADER } from '../../functions/adapters/local/email-outbox.ts';
import type { Approval } from '../../functions/core/approvals/approval.ts';
import type { ExecutionEvent } from '../../functions/core/ports.ts';
import type { RunDetails } from '../../functions/core/runs-service.ts';
import { FAULT_WINDOWS, type FaultWindow } from '../../lib/local/faults.ts';
import { AiosProcess } from './aios-process.ts';
import { createApprover } from './approver.ts';
import { createSoakClient, NoAnswerError, type SoakClient } from './client.ts';
import { parseSoakOptions, type SoakOptions, USAGE, UsageError } from './options.ts';
import { startProvider } from './provider.ts';
import { renderReport, type SoakResult } from './report.ts';
import { planRuns, refreshStatuses, type SoakRun, startRun, TERMINAL } from './runs.ts';
import { type EmailFile, effectProblems, hintFor, type RunRecord, webhookRepeats } from './verdict.ts';

/** A run in flight longer than this stops holding a concurrency slot (it may be stuck for good). */
const STALE_AFTER_MS = 90_000;
/** Kept at the end for reading back every run's details, history and approvals. */
const COLLECT_RESERVE_MS = 25_000;
const PROGRESS_EVERY_MS = 10_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const say = (line: string) => process.stderr.write(`${line}\n`);

let options: SoakOptions;
try {
  options = parseSoakOptions(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  say(`soak: ${error.message}\n\n${USAGE}`);
  process.exit(2);
}
if (options.help) {
  say(USAGE);
  process.exit(0);
}
process.exit(await soak(options));

async function soak(options: SoakOptions): Promise<number> {
  const startedAt = Date.now();
  const commit = commitOf();
  const hardDeadline = startedAt + options.maxMinutes * 60_000;
  const runDeadline = hardDeadline - Math.min(COLLECT_RESERVE_MS, options.maxMinutes * 6000);
  const lastStartAt = runDeadline - options.settleSeconds * 1000;
  let deadline = runDeadline;

  const dataDir = mkdtempSync(join(tmpdir(), 'aios-soak-'));
  const provider = await startProvider();
  const aios = new AiosProcess({ dataDir, port: await freePort(), faults: options.faults, log: say });
  say(`soak: aios dev on ${aios.baseUrl}, data ${dataDir}, provider ${provider.url}`);
  // Interrupted (Ctrl-C), the soak takes its runtime with it and keeps the data dir to look at.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      aios.kill();
      say(`soak: interrupted; data dir kept: ${dataDir}`);
      process.exit(130);
    });
  }
  aios.start();
  if (!(await aios.whenReady(120_000))) {
    await aios.stop();
    await provider.close();
    say(`soak: aios dev did not start: ${aios.fatal ?? 'no "aios is running" line within 120 s'}`);
    return 1;
  }

  const client = createSoakClient(aios, () => deadline);
  const runs = planRuns(options.runs, provider.url);
  const ours = new Set<string>();
  const approver = createApprover({
    client,
    aios,
    isOurs: (runId) => ours.has(runId),
    delayMs: options.approveAfterMs,
  });
  const approving = approver.run();

  let phase: 'load' | 'settle' | 'done' = 'load';
  const killer = randomKiller(aios, options.killEverySeconds, () => phase === 'load');
  const tracking = track(runs, client, aios, () => phase !== 'done');
  const progress = setInterval(() => say(progressLine(runs, aios, startedAt)), PROGRESS_EVERY_MS);

  // Load: keep `concurrency` young runs in flight until all are started or it is time to settle.
  const starting: Promise<void>[] = [];
  let next = 0;
  while (next < runs.length && Date.now() < lastStartAt && !aios.fatal) {
    const now = Date.now();
    const young = runs.filter(
      (r) =>
        r.sentAt !== undefined &&
        !r.startError &&
        !TERMINAL.includes(r.status ?? '') &&
        now - r.sentAt < STALE_AFTER_MS,
    ).length;
    if (young >= options.concurrency) {
      await sleep(50);
      continue;
    }
    const run = runs[next++] as SoakRun;
    starting.push(
      startRun(run, { client, aios, deadline: () => deadline }).then(() => {
        if (run.runId) ours.add(run.runId);
        for (const id of run.duplicates) ours.add(id);
      }),
    );
    await sleep(20);
  }

  // Settle: no more faults or random kills; one last SIGKILL so the runtime restarts clean.
  phase = 'settle';
  clearTimeout(killer.timer());
  if (options.faults || options.killEverySeconds > 0) {
    aios.setFaults('');
    aios.kill();
  }
  say(
    `soak: ${next} runs started; settling (no faults) until all finish or ${new Date(runDeadline).toISOString()}`,
  );
  await Promise.all(starting);
  while (Date.now() < runDeadline && !aios.fatal) {
    const open = runs.filter((r) => r.runId && !TERMINAL.includes(r.status ?? ''));
    if (open.length === 0) break;
    await sleep(250);
  }

  phase = 'done';
  clearInterval(progress);
  approver.stop();
  await Promise.all([approving, tracking]);
  deadline = hardDeadline;
  const problems: RunRecord[] = [];
  const finished: RunDetails[] = [];
  const counts = { succeeded: 0, failed: 0, stuck: 0, lost: 0 };
  const inbox = await inboxAtTheEnd(client, ours);
  const described = await inParallel(runs.slice(0, next), 4, (run) => describeRun(run, client));
  for (const record of described) {
    if (record.details) finished.push(record.details);
    if (record.outcome !== 'not-started') counts[record.outcome] += 1;
    if (record.outcome !== 'succeeded' && record.outcome !== 'not-started') problems.push(record.record);
  }
  const emails = readEmails(join(dataDir, 'outbox', 'email'));
  await aios.stop();
  await provider.close();

  const crashTimes = aios.exits.filter((e) => e.kind !== 'stopped').map((e) => e.at);
  const webhook = webhookRepeats(provider.deliveries, crashTimes);
  const effects = effectProblems(finished, provider.deliveries, emails);
  const runsDoubled = runs
    .filter((r) => r.duplicates.length > 0)
    .map((r) => ({ n: r.n, runIds: [r.runId as string, ...r.duplicates] }));
  const doubled =
    webhook.doubled.length + effects.emailsDoubled.length + effects.stateDoubled.length + runsDoubled.length;
  const windows: Partial<Record<FaultWindow, number>> = {};
  for (const exit of aios.exits) {
    const window = FAULT_WINDOWS.find((w) => w === exit.kind);
    if (window) windows[window] = (windows[window] ?? 0) + 1;
  }
  const kills = aios.exits.filter((e) => e.kind !== 'stopped' && e.kind !== 'unexpected');
  const unexpectedExits = aios.exits.filter((e) => e.kind === 'unexpected');
  const notStarted = runs.filter((r) => !r.runId && !r.startError).length;
  const phantoms = runs.flatMap((r) => r.phantoms);
  const { serverErrors, refusedWhilePending, staleInInbox: staleSeen, ...approvals } = approver.stats;
  const staleInInbox = [...new Set([...staleSeen, ...inbox.stale])];
  const ok =
    counts.failed + counts.stuck + counts.lost + phantoms.length + doubled + effects.missing.length === 0 &&
    refusedWhilePending.length + staleInInbox.length === 0 &&
    unexpectedExits.length === 0 &&
    !aios.fatal;
  const keep = !ok || options.keep;
  const { json, keep: _keep, help, ...settings } = options;
  const result: SoakResult = {
    ok,
    command: `npm run soak -- ${process.argv.slice(2).join(' ')}`.trim(),
    commit,
    startedAt: new Date(startedAt).toISOString(),
    wallSeconds: (Date.now() - startedAt) / 1000,
    dataDir,
    dataDirKept: keep,
    settings,
    runs: {
      planned: runs.length,
      started: runs.filter((r) => r.runId).length,
      notStarted,
      ...counts,
      phantoms,
    },
    kills: { total: kills.length, random: kills.filter((e) => e.kind === 'random').length, windows },
    unexpectedExits,
    generations: aios.generation,
    effects: {
      doubled,
      webhook,
      emailsDoubled: effects.emailsDoubled,
      stateDoubled: effects.stateDoubled,
      runsDoubled,
      missing: effects.missing,
    },
    starts: {
      withoutAnswer: runs.reduce((sum, r) => sum + r.startsWithoutAnswer, 0),
      foundAfterCrash: runs.filter((r) => r.startPath === 'found-after-crash').length,
      repostedAfterCrash: runs.filter((r) => r.startPath === 'reposted-after-crash').length,
    },
    approvals: {
      ...approvals,
      serverErrors: serverErrors.length,
      serverErrorSamples: serverErrors.slice(0, 5),
    },
    refusedWhilePending,
    staleInInbox,
    problems,
    ...(aios.fatal ? { fatal: aios.fatal } : {}),
  };
  if (!keep) rmSync(dataDir, { recursive: true, force: true });
  if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else process.stdout.write(`${renderReport(result)}\n`);
  return ok ? 0 : 1;
}

/** SIGKILLs the runtime at random moments (uniform around the mean), while `active` says so. */
function randomKiller(aios: AiosProcess, meanSeconds: number, active: () => boolean) {
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    if (meanSeconds <= 0 || !active()) return;
    timer = setTimeout(
      () => {
        if (!active()) return;
        aios.kill();
        schedule();
      },
      meanSeconds * 1000 * (0.2 + 1.6 * Math.random()),
    );
  };
  schedule();
  return { timer: () => timer };
}

async function track(runs: SoakRun[], client: SoakClient, aios: AiosProcess, active: () => boolean) {
  while (active()) {
    try {
      await refreshStatuses(runs, client);
    } catch (error) {
      if (!(error instanceof NoAnswerError)) throw error;
      await aios.whenReady(5_000);
    }
    await sleep(500);
  }
}

/** The soak's entries in the inbox at the end whose record is decided or missing. */
async function inboxAtTheEnd(client: SoakClient, ours: Set<string>) {
  const stale: string[] = [];
  const reply = await client.retrying<{ approvals: Approval[] }>('GET', '/approvals').catch(() => undefined);
  for (const approval of reply?.status === 200 ? reply.body.approvals : []) {
    if (!ours.has(approval.runId)) continue;
    const record = await client
      .retrying<{ approval: Approval }>('GET', `/approvals/${encodeURIComponent(approval.approvalId)}`)
      .catch(() => undefined);
    if (!record) continue;
    // Deciding goes by id, so an entry helps the operator exactly when its record is still pending.
    if (record.status === 404 || record.body.approval.status !== 'PENDING') stale.push(approval.approvalId);
  }
  return { stale };
}

/** Whether the inbox lists an approval now (a run can reach its approval while the soak winds up). */
async function listedInInbox(client: SoakClient, approvalId: string): Promise<boolean | undefined> {
  const reply = await client.retrying<{ approvals: Approval[] }>('GET', '/approvals').catch(() => undefined);
  return reply?.status === 200 ? reply.body.approvals.some((a) => a.approvalId === approvalId) : undefined;
}

async function describeRun(
  run: SoakRun,
  client: SoakClient,
): Promise<{ outcome: RunRecord['outcome']; record: RunRecord; details?: RunDetails }> {
  const base = { n: run.n, workflow: run.workflow, ...(run.runId ? { runId: run.runId } : {}) };
  if (run.startError) {
    const record: RunRecord = { ...base, outcome: 'failed', startError: run.startError };
    return { outcome: 'failed', record: { ...record, hint: 'new? POST /runs refused a valid input' } };
  }
  if (!run.runId) return { outcome: 'not-started', record: { ...base, outcome: 'not-started' } };
  const path = `/runs/${encodeURIComponent(run.runId)}`;
  let reply: Awaited<ReturnType<SoakClient['retrying']>>;
  try {
    reply = await client.retrying<RunDetails>('GET', path);
  } catch {
    const record: RunRecord = { ...base, outcome: 'stuck', hint: 'the runtime did not answer at the end' };
    return { outcome: 'stuck', record };
  }
  if (reply.status === 404) {
    const record: RunRecord = { ...base, outcome: 'lost' };
    return { outcome: 'lost', record: { ...record, hint: hintFor(record) } };
  }
  const details = reply.body as RunDetails;
  const { status, failure } = details.run;
  const outcome: RunRecord['outcome'] =
    status === 'SUCCEEDED' ? 'succeeded' : status === 'FAILED' ? 'failed' : 'stuck';
  const record: RunRecord = { ...base, outcome, status, ...(failure ? { failure } : {}) };
  if (outcome === 'stuck') {
    const history = await client
      .retrying<{ events: ExecutionEvent[] }>('GET', `${path}/history`)
      .catch(() => undefined);
    const events = history?.status === 200 ? history.body.events : [];
    const last = events.at(-1);
    const entered = events.filter((e) => e.type.endsWith('StateEntered')).at(-1);
    if (last)
      record.lastEvent = `${last.type}${last.stateName ? ` ${last.stateName}` : ''}${last.error ? ` ${last.error}` : ''}`;
    if (entered?.stateName) record.waitingIn = entered.stateName;
    const waitingStep = [...details.intents].sort((a, b) => a.stepIndex - b.stepIndex).at(-1);
    if (record.waitingIn === 'Request approval' && waitingStep) {
      const approval = await client
        .retrying<{ approval: Approval }>(
          'GET',
          `/approvals/${encodeURIComponent(`${run.runId}-s${waitingStep.stepIndex}`)}`,
        )
        .catch(() => undefined);
      if (approval?.status === 200) {
        record.approvalStatus = approval.body.approval.status;
        const inInbox = await listedInInbox(client, approval.body.approval.approvalId);
        if (inInbox !== undefined) record.approvalInInbox = inInbox;
      }
    }
  }
  if (outcome !== 'succeeded') record.hint = hintFor(record);
  return { outcome, record, details };
}

/** `work` over `items`, at most `width` at a time, results in the order of `items`. */
async function inParallel<T, R>(
  items: readonly T[],
  width: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return results;
}

function readEmails(dir: string): EmailFile[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.eml'));
  } catch {
    return [];
  }
  const header = new RegExp(`^${IDEMPOTENCY_HEADER}: (.+?)\\r?$`, 'im');
  return files.flatMap((file) => {
    const key = header.exec(readFileSync(join(dir, file), 'utf8'))?.[1];
    return key ? [{ key, file }] : [];
  });
}

function progressLine(runs: SoakRun[], aios: AiosProcess, startedAt: number): string {
  const sent = runs.filter((r) => r.sentAt !== undefined).length;
  const done = runs.filter((r) => TERMINAL.includes(r.status ?? ''));
  const failed = done.filter((r) => r.status === 'FAILED').length;
  const kills = aios.exits.filter((e) => e.kind !== 'stopped').length;
  return `soak: ${Math.round((Date.now() - startedAt) / 1000)} s: started ${sent}/${runs.length}, finished ${done.length} (${failed} failed), runtime life ${aios.generation}, ${kills} exits`;
}

function commitOf(): string | undefined {
  try {
    const cwd = new URL('../..', import.meta.url).pathname;
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd,
      encoding: 'utf8',
    }).trim();
    return dirty ? `${head} (with uncommitted changes)` : head;
  } catch {
    return undefined;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
