import type { AlertMark, AlertMarks, AlertReason, Clock, OperatorAlert, OperatorChannel } from './ports.ts';
import type { Run } from './schemas.ts';

// One notification per run and reason, whatever the retries: a failed run (and, with issue 11, a
// run that needs a handoff) tells the operator once, on their channel, with the failure account
// and a link. "Once" is held by a mark written with a condition before the message goes out; a
// sender that died after marking leaves a lease that lapses, and the next attempt sends then.
// So a crash can at worst send a second message, never none: silence is the failure to avoid.

export type { AlertMark, AlertMarks, AlertReason, OperatorAlert, OperatorChannel } from './ports.ts';

export interface OperatorAlertsDeps {
  marks: AlertMarks;
  channel: OperatorChannel;
  clock: Clock;
  /** A link to the run, when there is a console or API address to point at. */
  runLink?: (runId: string) => string;
  /** How long a claim holds before another attempt may send instead. */
  leaseMs?: number;
  /** Distinguishes senders (tests pass their own). */
  owner?: () => string;
}

const DEFAULT_LEASE_MS = 60_000;

export type AlertOutcome = 'sent' | 'already-sent' | 'in-progress';

export function createOperatorAlerts(deps: OperatorAlertsDeps) {
  const owner = deps.owner ?? (() => `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`);

  async function alert(
    run: Run,
    reason: AlertReason,
    mark: AlertMark,
    account: string,
  ): Promise<AlertOutcome> {
    const now = deps.clock.now();
    const me = owner();
    const claimed = await deps.marks.claim(run.runId, mark, {
      owner: me,
      now: now.toISOString(),
      leaseUntil: new Date(now.getTime() + (deps.leaseMs ?? DEFAULT_LEASE_MS)).toISOString(),
    });
    if (claimed === 'sent') return 'already-sent';
    if (claimed === 'busy') return 'in-progress';
    await deps.channel.send(
      {
        reason,
        runId: run.runId,
        workflow: run.workflow,
        title:
          reason === 'run-failed'
            ? `Run ${run.runId} of ${run.workflow} failed`
            : `Run ${run.runId} of ${run.workflow} needs you`,
        account,
        ...(deps.runLink ? { link: deps.runLink(run.runId) } : {}),
      },
      `aios-alert-${mark.replace('#', '-')}-${run.runId}`,
    );
    await deps.marks.sent(run.runId, mark, deps.clock.now().toISOString());
    return 'sent';
  }

  return {
    /** Tells the operator a run failed, once; a run without its failure account yet is not told. */
    async runFailed(run: Run): Promise<AlertOutcome | 'not-failed'> {
      if (run.status !== 'FAILED' || !run.failure) return 'not-failed';
      return alert(run, 'run-failed', 'run-failed', run.failure.account);
    },
    /** Tells the operator a step of a run waits for them to write its output (a handoff), once per step. */
    handoff: (run: Run, stepIndex: number, account: string) =>
      alert(run, 'handoff', `handoff#${stepIndex}`, account),
  };
}

export type OperatorAlerts = ReturnType<typeof createOperatorAlerts>;

/** The text of an alert, the same on every channel. */
export function alertText(alert: OperatorAlert): string {
  return [
    alert.title,
    '',
    alert.account,
    '',
    alert.link ? `Open: ${alert.link}` : undefined,
    `Or run: aios show ${alert.runId}`,
  ]
    .filter((line) => line !== undefined)
    .join('\n');
}
