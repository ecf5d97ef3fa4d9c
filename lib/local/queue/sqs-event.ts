import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { receiveCountOf, releaseBackoffSeconds } from '../../../functions/core/release-backoff.ts';
import { InvalidBatchResponseError } from './errors.ts';
import { type LocalQueue, localQueueArn, type QueueMessage } from './local-queue.ts';

/** The event a Lambda event source mapping would hand the function for these messages. */
export function toSqsEvent(queueName: string, messages: readonly QueueMessage[]): SQSEvent {
  return {
    Records: messages.map(
      (message): SQSRecord => ({
        messageId: message.messageId,
        receiptHandle: message.receiptHandle,
        body: message.body,
        attributes: { ...message.attributes },
        messageAttributes: {},
        md5OfBody: message.md5OfBody,
        eventSource: 'aws:sqs',
        eventSourceARN: localQueueArn(queueName),
        awsRegion: 'local',
      }),
    ),
  };
}

/**
 * The message ids that failed, read the way Lambda reads a `ReportBatchItemFailures` response: no
 * response or an empty list means all succeeded; an id that is empty or not in the batch makes the
 * whole batch fail (InvalidBatchResponseError).
 */
export function failedMessageIds(
  event: SQSEvent,
  response: SQSBatchResponse | undefined | null,
): Set<string> {
  const failures = response?.batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) {
    throw new InvalidBatchResponseError('batchItemFailures must be an array of { itemIdentifier }');
  }
  const inBatch = new Set(event.Records.map((record) => record.messageId));
  const failed = new Set<string>();
  for (const failure of failures as unknown[]) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || !inBatch.has(id)) {
      throw new InvalidBatchResponseError(
        `batchItemFailures names ${JSON.stringify(id)}, which is not a message of this batch; the whole batch is retried`,
      );
    }
    failed.add(id);
  }
  return failed;
}

/**
 * A handler's way to hand records back early on the local queue: each record, found by the queue
 * its event source ARN names and its receipt handle, is receivable again at once the first time
 * and after a short wait on later receives (release-backoff.ts), as on SQS.
 */
export function releaseRecordsTo(
  queue: Pick<LocalQueue, 'changeVisibility'>,
): (records: readonly SQSRecord[]) => Promise<void> {
  return async (records) => {
    await Promise.all(
      records.map((record) => {
        const queueName = record.eventSourceARN.slice(record.eventSourceARN.lastIndexOf(':') + 1);
        return queue.changeVisibility(
          queueName,
          record.receiptHandle,
          releaseBackoffSeconds(receiveCountOf(record)),
        );
      }),
    );
  };
}
