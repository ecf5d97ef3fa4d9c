// Operator alerts (core/operator-alerts.ts): once per run and reason (a handoff once per step), on the operator's channel.

export type AlertReason = 'run-failed' | 'handoff';
/** What a mark is kept for: a failed run once, and each handed-off step of a run once. */
export type AlertMark = 'run-failed' | `handoff#${number}`;

export interface OperatorAlert {
  reason: AlertReason;
  runId: string;
  workflow: string;
  title: string;
  /** The human-readable account: what went wrong and why. */
  account: string;
  /** Where the operator sees the run (the console or the API); `aios show <runId>` works everywhere. */
  link?: string;
}

/** Where operator alerts go: Slack when configured, else email (the composition root decides). */
export interface OperatorChannel {
  readonly name: string;
  /** `key` is stable per run and reason, for transports that dedupe on it. */
  send(alert: OperatorAlert, key: string): Promise<void>;
}

/** The conditional marks that make an alert go out once per run and reason. */
export interface AlertMarks {
  /**
   * Claims the right to send: `claimed` when there was no mark, or one whose sender's lease
   * ended before `now` without sending; `sent` when it went out already; `busy` while another
   * sender holds a live lease.
   */
  claim(
    runId: string,
    mark: AlertMark,
    claim: { owner: string; now: string; leaseUntil: string },
  ): Promise<'claimed' | 'sent' | 'busy'>;
  /** Records that it went out. */
  sent(runId: string, mark: AlertMark, at: string): Promise<void>;
}
