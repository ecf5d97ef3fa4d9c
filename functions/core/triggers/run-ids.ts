import { createHash, randomBytes } from 'node:crypto';

/** `yyyymmdd-hhmmss` in UTC, as in every run id. */
function stamp(at: Date): string {
  return at.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/**
 * The run of one fire: `<playbook>-<scheduled time>-<8 hex of (playbook, version, scheduled time)>`,
 * the same shape as every run id, and the same every time that fire is delivered, so the run
 * record's conditional write and the execution's name let it start once.
 */
export function scheduledRunId(playbook: string, version: number, scheduledAt: Date): string {
  const digest = createHash('sha256')
    .update(`schedule\n${playbook}\n${version}\n${scheduledAt.toISOString()}`)
    .digest('hex');
  return `${playbook}-${stamp(scheduledAt)}-${digest.slice(0, 8)}`;
}

/** A webhook run's id, fixed when its event is first taken; the event's record keeps it. */
export function webhookRunId(playbook: string, receivedAt: Date): string {
  return `${playbook}-${stamp(receivedAt)}-${randomBytes(4).toString('hex')}`;
}

/** A fire names a whole second: EventBridge's `<aws.scheduler.scheduled-time>` has no fraction. */
export function wholeSecond(at: Date): Date {
  return new Date(Math.floor(at.getTime() / 1000) * 1000);
}
