import type { LocalQueue } from '../../lib/local/queue/index.ts';

/** SQS's ApproximateNumberOfMessages and ...NotVisible, counted from what the queue lists. */
export async function queueCounts(queue: Pick<LocalQueue, 'list'>, queueName: string) {
  const messages = await queue.list(queueName);
  const visible = messages.filter((message) => message.state === 'visible').length;
  return { visible, inFlight: messages.length - visible, total: messages.length };
}
