/** The longest a released record waits; well inside every visibility timeout aios sets (30 s locally). */
export const MAX_RELEASE_BACKOFF_SECONDS = 15;

/**
 * How long a record the gateway gave up untouched (its deadline came before its effect could
 * start) stays hidden before it is handed out again, by how often it has been received: at once the
 * first time, then 1, 3, 7 and 15 s. Each receive counts toward the queue's maxReceiveCount (5), so
 * on a machine that stays overloaded, releasing at once every time would send an action to the
 * dead-letter queue within seconds; the wait grows so the overload has time to pass first.
 */
export function releaseBackoffSeconds(receiveCount: number): number {
  const received = Number.isFinite(receiveCount) && receiveCount >= 1 ? Math.floor(receiveCount) : 1;
  return Math.min(MAX_RELEASE_BACKOFF_SECONDS, 2 ** (received - 1) - 1);
}

/** The receive count SQS (and the local queue) put on a record; 1 when it is missing. */
export const receiveCountOf = (record: { attributes?: { ApproximateReceiveCount?: string } }): number =>
  Number(record.attributes?.ApproximateReceiveCount) || 1;
