import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ActionQueue } from '../../core/ports.ts';

export function createSqsActionQueue(client: SQSClient, queueUrl: string): ActionQueue {
  return {
    async send(message) {
      await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(message) }));
    },
  };
}
