import type { LocalQueue } from '../../../lib/local/queue/index.ts';
import { describeDeadLetter } from '../../core/dead-letter.ts';
import type { DeadLetters } from '../../core/ports.ts';

/** The gateway's dead-letter queue on the local queue, as `createSqsDeadLetters` is on AWS. */
export function createLocalDeadLetters(
  queue: Pick<LocalQueue, 'list' | 'redrive'>,
  dlq: string,
): DeadLetters {
  return {
    async list(limit) {
      const messages = await queue.list(dlq);
      return messages
        .slice(0, limit)
        .map((m) => describeDeadLetter(m.messageId, m.body, m.receiveCount, new Date(m.sentTimestamp)));
    },
    async redrive() {
      return { moved: await queue.redrive(dlq) };
    },
  };
}
