import type { RunDetails } from '../../functions/core/runs-service.ts';
import type { Delivery } from './provider.ts';

/**
 * How the soak judges what it saw: pure functions over what the provider received, the outbox
 * held and the API reported, so the judgement itself is unit-tested.
 */

/**
 * A delivery can still be in flight when its sender dies and be read a moment after the soak
 * saw the exit; a restarted runtime needs seconds before it sends anything, so this is safe.
 */
export const CRASH_MARGIN_MS = 500;

export interface KeyCount {
  key: string;
  count: number;
}

export interface WebhookRepeats {
  /** Keys delivered twice within one life of the runtime: two executions of one intent. */
  doubled: KeyCount[];
  /** Keys sent again after a crash killed the runtime between the effect and its record; the provider deduped them. */
  resentAfterCrash: KeyCount[];
  /** Deliveries with no Idempotency-Key at all. */
  withoutKey: number;
}

/** Groups raw deliveries by key and tells a repeat caused by a crash from a double within one life. */
export function webhookRepeats(
  deliveries: readonly Delivery[],
  crashTimes: readonly number[],
): WebhookRepeats {
  const byKey = new Map<string, number[]>();
  let withoutKey = 0;
  for (const delivery of deliveries) {
    if (!delivery.idempotencyKey) {
      withoutKey += 1;
      continue;
    }
    const times = byKey.get(delivery.idempotencyKey) ?? [];
    times.push(delivery.at);
    byKey.set(delivery.idempotencyKey, times);
  }
  const doubled: KeyCount[] = [];
  const resentAfterCrash: KeyCount[] = [];
  for (const [key, times] of byKey) {
    if (times.length < 2) continue;
    times.sort((a, b) => a - b);
    const crashBetween = (earlier: number, later: number) =>
      crashTimes.some((t) => t >= earlier - CRASH_MARGIN_MS && t <= later);
    const everyRepeatAfterCrash = times.slice(1).every((at, i) => crashBetween(times[i] as number, at));
    (everyRepeatAfterCrash ? resentAfterCrash : doubled).push({ key, count: times.length });
  }
  return { doubled, resentAfterCrash, withoutKey };
}

/** The idempotency-key header of each .eml in the outbox. */
export interface EmailFile {
  key: string;
  file: string;
}

export type Outcome = 'succeeded' | 'failed' | 'stuck' | 'lost' | 'not-started';

/** What the soak knows of one run at the end. */
export interface RunRecord {
  n: number;
  workflow: string;
  runId?: string;
  outcome: Outcome;
  status?: string;
  /** For a run that is not finished: the state it waits in, from its execution history. */
  waitingIn?: string;
  /** The last event of its execution history. */
  lastEvent?: string;
  /** For a run waiting at an approval: that approval's status, and whether the inbox lists it. */
  approvalStatus?: string;
  approvalInInbox?: boolean;
  failure?: { error: string; cause: string; account: string };
  startError?: string;
  /** What this looks like, against the defects known in issue 8. */
  hint?: string;
}

export interface EffectProblems {
  /** Email intents with more than one .eml. */
  emailsDoubled: KeyCount[];
  /** State writes whose recorded version says the entity was written more often than its steps. */
  stateDoubled: { runId: string; stepIndex: number; entity: string; expected: number; recorded: number }[];
  /** Runs reported succeeded whose webhook or email effect is nowhere to be found. */
  missing: { runId: string; stepIndex: number; action: string; key: string }[];
}

/** Checks every succeeded run's effects against the provider and the outbox, one intent at a time. */
export function effectProblems(
  runs: readonly RunDetails[],
  deliveries: readonly Delivery[],
  emails: readonly EmailFile[],
): EffectProblems {
  const delivered = new Set(deliveries.map((d) => d.idempotencyKey));
  const emailCount = new Map<string, number>();
  for (const email of emails) emailCount.set(email.key, (emailCount.get(email.key) ?? 0) + 1);
  const problems: EffectProblems = { emailsDoubled: [], stateDoubled: [], missing: [] };
  for (const { run, intents } of runs) {
    const versions = new Map<string, number>();
    for (const intent of [...intents].sort((a, b) => a.stepIndex - b.stepIndex)) {
      const { type, params } = intent.action;
      if (type === 'email.send') {
        const count = emailCount.get(intent.idempotencyKey) ?? 0;
        if (count > 1) problems.emailsDoubled.push({ key: intent.idempotencyKey, count });
      }
      if (run.status !== 'SUCCEEDED' || intent.status !== 'SUCCEEDED') continue;
      const missing =
        (type === 'http.request' && !delivered.has(intent.idempotencyKey)) ||
        (type === 'email.send' && !emailCount.has(intent.idempotencyKey));
      if (missing) {
        problems.missing.push({
          runId: run.runId,
          stepIndex: intent.stepIndex,
          action: type,
          key: intent.idempotencyKey,
        });
      }
      if (type === 'state.upsert') {
        const entity = `${String(params.entityType)}/${String(params.entityId)}`;
        const expected = (versions.get(entity) ?? 0) + 1;
        versions.set(entity, expected);
        const recorded = intent.result?.output.version;
        if (typeof recorded === 'number' && recorded !== expected) {
          problems.stateDoubled.push({
            runId: run.runId,
            stepIndex: intent.stepIndex,
            entity,
            expected,
            recorded,
          });
        }
      }
    }
  }
  return problems;
}

/**
 * A first guess at which known defect (issue 8) a failed or stuck run shows, so a developer knows
 * where to look; "new?" marks what matches none of them.
 */
export function hintFor(record: Omit<RunRecord, 'hint'>): string | undefined {
  if (record.outcome === 'stuck') {
    if (record.status === 'QUEUED' && !record.lastEvent) {
      return 'defect 2: a run record without an execution (crash between POST /runs writing it and starting it)';
    }
    if (record.waitingIn === 'Request approval') {
      if (record.approvalStatus && record.approvalStatus !== 'PENDING') {
        return `defect 1: the approval is ${record.approvalStatus} but its run still waits for the answer`;
      }
      if (record.approvalStatus === 'PENDING' && record.approvalInInbox === false) {
        return 'new: the approval is PENDING but GET /approvals does not list it, so nobody is asked (a crash tore the write that decided it: index entry gone, record not updated)';
      }
      return 'waits at an approval that is pending and listed (reached after the soak stopped clicking, or clicked in vain)';
    }
    return `new? waits in "${record.waitingIn ?? '?'}" (last event ${record.lastEvent ?? 'none'})`;
  }
  if (record.outcome === 'failed' && record.failure) {
    const text = `${record.failure.error} ${record.failure.cause} ${record.failure.account}`;
    if (/approv/i.test(text) && /conflict|already|not PENDING|version/i.test(text)) {
      return 'defect 3: a quick approval conflicted with the run recording its notification';
    }
    return 'new? see the failure account';
  }
  if (record.outcome === 'lost') return 'new? the server acknowledged this run and later did not know it';
  return undefined;
}
