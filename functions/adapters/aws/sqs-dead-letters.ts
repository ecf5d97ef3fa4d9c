import { ReceiveMessageCommand, type SQSClient, StartMessageMoveTaskCommand } from '@aws-sdk/client-sqs';
import { describeDeadLetter } from '../../core/dead-letter.ts';
import type { DeadLetter, DeadLetters } from '../../core/ports.ts';

/**
 * The DLQ through SQS itself: list peeks with a zero visibility timeout (nothing is hidden from
 * a redrive), redrive starts SQS's own message move task back to the source queue.
 */
export function createSqsDeadLetters(client: SQSClient, dlq: { url: string; arn: string }): DeadLetters {
  return {
    async list(limit) {
      const seen = new Map<string, DeadLetter>();
      // Each receive samples the queue; a few rounds find most of a small DLQ.
      for (let round = 0; round < 5 && seen.size < limit; round += 1) {
        const { Messages = [] } = await client.send(
          new ReceiveMessageCommand({
            QueueUrl: dlq.url,
            MaxNumberOfMessages: Math.min(10, limit),
            VisibilityTimeout: 0,
            MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
          }),
        );
        if (Messages.length === 0) break;
        for (const message of Messages) {
          if (!message.MessageId || seen.has(message.MessageId)) continue;
          seen.set(
            message.MessageId,
            describeDeadLetter(
              message.MessageId,
              message.Body ?? '',
              Number(message.Attributes?.ApproximateReceiveCount ?? 0),
              new Date(Number(message.Attributes?.SentTimestamp ?? 0)),
            ),
          );
        }
      }
      return [...seen.values()].slice(0, limit);
    },
    async redrive() {
      const { TaskHandle } = await client.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn }));
      return { taskHandle: TaskHandle };
    },
  };
}
