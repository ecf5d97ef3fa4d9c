import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { receiveCountOf, releaseBackoffSeconds } from '../../core/release-backoff.ts';

/** The URL of the queue an SQS event source ARN names: arn:<partition>:sqs:<region>:<account>:<name>. */
export function queueUrlOf(eventSourceArn: string): string {
  const [arn, partition, service, region, account, name] = eventSourceArn.split(':');
  if (arn !== 'arn' || service !== 'sqs' || !region || !account || !name)
    throw new Error(`not the ARN of an SQS queue: ${eventSourceArn}`);
  const domain = partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://sqs.${region}.${domain}/${account}/${name}`;
}

/** ChangeMessageVisibilityBatch takes at most ten entries. */
const BATCH = 10;

/**
 * The gateway's releaseUntouched on AWS: ChangeMessageVisibility to 0 for each record received once,
 * so Lambda's poller hands it out again at once (later receives wait a little: release-backoff.ts).
 * The function's role has the action already: the SQS event source grants its function the queue's
 * consume actions, ChangeMessageVisibility among them.
 * The SQS client (unless given) is loaded and built on the first release, so an invocation that
 * never gives a record up (nearly all of them) does not pay for its import at cold start.
 */
export function sqsReleaseRecords(given?: Pick<SQSClient, 'send'>) {
  let built: Pick<SQSClient, 'send'> | undefined;
  return async (records: readonly SQSRecord[]): Promise<void> => {
    const sqs = await import('@aws-sdk/client-sqs');
    const { ChangeMessageVisibilityBatchCommand } = sqs;
    const client = () => {
      built ??= given ?? new sqs.SQSClient({});
      return built;
    };
    const byQueue = new Map<string, SQSRecord[]>();
    for (const record of records) {
      const url = queueUrlOf(record.eventSourceARN);
      byQueue.set(url, [...(byQueue.get(url) ?? []), record]);
    }
    const failed: string[] = [];
    for (const [QueueUrl, queued] of byQueue) {
      for (let start = 0; start < queued.length; start += BATCH) {
        const entries = queued.slice(start, start + BATCH).map((record, i) => ({
          Id: String(i),
          ReceiptHandle: record.receiptHandle,
          VisibilityTimeout: releaseBackoffSeconds(receiveCountOf(record)),
        }));
        const answer = await client().send(
          new ChangeMessageVisibilityBatchCommand({ QueueUrl, Entries: entries }),
        );
        for (const failure of answer.Failed ?? [])
          failed.push(`${failure.Code ?? 'failed'}: ${failure.Message ?? ''}`);
      }
    }
    if (failed.length > 0)
      throw new Error(`SQS did not release ${failed.length} record(s): ${failed.join('; ')}`);
  };
}
