import { randomBytes, randomUUID } from 'node:crypto';
import type { Run, RunStatus } from '../../functions/core/schemas.ts';
import type { AiosProcess } from './aios-process.ts';
import { NoAnswerError, type SoakClient } from './client.ts';

export const TERMINAL: readonly string[] = ['SUCCEEDED', 'FAILED'];

/** How the soak learned the run id: the answer, or after a crash swallowed it. */
export type StartPath = 'answered' | 'found-after-crash' | 'reposted-after-crash';

/** One run the soak asked for. */
export interface SoakRun {
  n: number;
  workflow: 'onboarding' | 'invoice-follow-up';
  /** Unique per run, in its input: how the soak finds a run whose start answer was lost. */
  marker: string;
  /** Sent as Idempotency-Key on every POST /runs for this run. */
  key: string;
  input: Record<string, unknown>;
  runId?: string;
  startPath?: StartPath;
  /** Refused with a 4xx: the run was never created. */
  startError?: string;
  /** Other runs the server created for the same request (a repeated POST that was not deduplicated). */
  duplicates: string[];
  /** Listed by GET /runs after a crash, yet GET /runs/{id} does not know them: a torn write. */
  phantoms: string[];
  /** POSTs that got no answer (or a 5xx) before the run id was known. */
  startsWithoutAnswer: number;
  status?: RunStatus;
  sentAt?: number;
  finishedAt?: number;
  /** The server said 404 for an acknowledged run. */
  missing?: boolean;
}

/** Two onboardings (with their approval) for each invoice follow-up, each with its own customer. */
export function planRuns(count: number, providerUrl: string): SoakRun[] {
  const session = randomBytes(3).toString('hex');
  return Array.from({ length: count }, (_, i) => {
    const n = i + 1;
    const marker = `soak-${session}-${n}`;
    const onboarding = n % 3 !== 0;
    return {
      n,
      workflow: onboarding ? 'onboarding' : 'invoice-follow-up',
      marker,
      key: randomUUID(),
      duplicates: [],
      phantoms: [],
      startsWithoutAnswer: 0,
      input: onboarding
        ? {
            customerId: marker,
            name: `Soak Customer ${n}`,
            email: `${marker}@soak.example`,
            setupFee: 100 + n,
            crmWebhookUrl: `${providerUrl}/crm`,
          }
        : { invoiceId: `${marker}-0001`, customerId: marker, reminderWebhookUrl: `${providerUrl}/mailer` },
    };
  });
}

const sameRequest = (run: SoakRun) => (candidate: Run) =>
  candidate.workflow === run.workflow && candidate.input.customerId === run.marker;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * POST /runs without ever starting the same run twice. When no answer comes (the runtime died
 * under the request) or a 5xx does, it waits for the runtime and looks the run up by its marker
 * before sending again; the Idempotency-Key header lets a server that honours it dedupe by itself.
 */
export async function startRun(
  run: SoakRun,
  deps: { client: SoakClient; aios: AiosProcess; deadline: () => number },
): Promise<void> {
  const { client, aios, deadline } = deps;
  run.sentAt = Date.now();
  while (Date.now() < deadline()) {
    let sentTo = aios.generation;
    try {
      if (!(await aios.whenReady(Math.max(0, deadline() - Date.now())))) return;
      sentTo = aios.generation;
      const reply = await client.once<{ runId?: string; message?: string }>('POST', '/runs', {
        body: { workflow: run.workflow, input: run.input },
        headers: { 'idempotency-key': run.key },
        timeoutMs: 60_000,
      });
      if (reply.status < 300 && reply.body?.runId) {
        run.runId = reply.body.runId;
        run.startPath ??= 'answered';
        return;
      }
      if (reply.status < 500) {
        run.startError = `HTTP ${reply.status}: ${reply.body?.message ?? reply.text.slice(0, 300)}`;
        return;
      }
    } catch (error) {
      if (!(error instanceof NoAnswerError)) throw error;
    }
    run.startsWithoutAnswer += 1;
    // Still the same life: the request may yet land; give it a moment before looking.
    if (aios.generation === sentTo) await sleep(2000);
    const found = await findRuns(run, deps);
    if (found === undefined) return;
    if (found.length > 0) {
      const [first, ...others] = found;
      run.runId = first?.runId;
      run.duplicates = others.map((r) => r.runId);
      run.startPath = 'found-after-crash';
      return;
    }
    run.startPath = 'reposted-after-crash';
  }
}

/** The runs the server made of this request: listed by GET /runs and known to GET /runs/{id}. */
async function findRuns(run: SoakRun, deps: { client: SoakClient }): Promise<Run[] | undefined> {
  try {
    const reply = await deps.client.retrying<{ runs: Run[] }>('GET', '/runs?limit=200');
    if (reply.status !== 200) return [];
    // A run changing status between the per-status queries behind GET /runs is listed twice.
    const listed = [
      ...new Map(reply.body.runs.filter(sameRequest(run)).map((r) => [r.runId, r])).values(),
    ].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    const found: Run[] = [];
    for (const candidate of listed) {
      const one = await deps.client.retrying('GET', `/runs/${encodeURIComponent(candidate.runId)}`);
      if (one.status === 404) {
        if (!run.phantoms.includes(candidate.runId)) run.phantoms.push(candidate.runId);
      } else found.push(candidate);
    }
    return found;
  } catch {
    return undefined; // past the deadline
  }
}

/**
 * One pass over the runs still in flight. The list (one request) says which may have changed;
 * a run's own record has the last word, since the list is an index that a crash can leave
 * behind its item.
 */
export async function refreshStatuses(runs: readonly SoakRun[], client: SoakClient): Promise<void> {
  const open = runs.filter((r) => r.runId && !TERMINAL.includes(r.status ?? ''));
  if (open.length === 0) return;
  const listed = await client.once<{ runs: Run[] }>('GET', '/runs?limit=200', { timeoutMs: 15_000 });
  if (listed.status !== 200) return;
  const byId = new Map(listed.body.runs.map((r) => [r.runId, r]));
  for (const run of open) {
    let status = byId.get(run.runId as string)?.status;
    if (!status || TERMINAL.includes(status)) {
      status = undefined;
      const one = await client.once<{ run: Run }>('GET', `/runs/${encodeURIComponent(run.runId as string)}`, {
        timeoutMs: 15_000,
      });
      if (one.status === 404) run.missing = true;
      status = one.status === 200 ? one.body.run.status : undefined;
    }
    if (!status) continue;
    run.missing = false;
    run.status = status;
    if (TERMINAL.includes(status)) run.finishedAt = Date.now();
  }
}
