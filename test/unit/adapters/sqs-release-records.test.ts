import { ChangeMessageVisibilityBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { queueUrlOf, sqsReleaseRecords } from '../../../functions/adapters/aws/sqs-release-records.ts';
import { releaseBackoffSeconds } from '../../../functions/core/release-backoff.ts';

const record = (receiptHandle: string, eventSourceARN: string) =>
  ({ messageId: receiptHandle, receiptHandle, eventSourceARN }) as SQSRecord;

describe('releasing gateway records on SQS (ChangeMessageVisibilityBatch)', () => {
  it('derives the queue URL from the event source ARN, in its partition', () => {
    expect(queueUrlOf('arn:aws:sqs:eu-west-1:123456789012:aios-actions')).toBe(
      'https://sqs.eu-west-1.amazonaws.com/123456789012/aios-actions',
    );
    expect(queueUrlOf('arn:aws-cn:sqs:cn-north-1:123456789012:q')).toBe(
      'https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q',
    );
    expect(() => queueUrlOf('arn:aws:sns:eu-west-1:1:topic')).toThrow(/not the ARN of an SQS queue/);
  });

  it('sends one batch per queue with visibility 0 for each receipt handle, and fails loudly on a refused entry', async () => {
    const sent: ChangeMessageVisibilityBatchCommand['input'][] = [];
    let refuse = false;
    const client = {
      async send(command: unknown) {
        expect(command).toBeInstanceOf(ChangeMessageVisibilityBatchCommand);
        const input = (command as ChangeMessageVisibilityBatchCommand).input;
        sent.push(input);
        return refuse
          ? { Successful: [], Failed: [{ Id: '0', Code: 'ReceiptHandleIsInvalid', SenderFault: true }] }
          : { Successful: input.Entries?.map((e) => ({ Id: e.Id })), Failed: [] };
      },
    } as unknown as Pick<SQSClient, 'send'>;
    const release = sqsReleaseRecords(client);
    const arn = 'arn:aws:sqs:eu-west-1:123456789012:aios-actions';
    await release([record('h1', arn), record('h2', arn)]);
    expect(sent).toEqual([
      {
        QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/aios-actions',
        Entries: [
          { Id: '0', ReceiptHandle: 'h1', VisibilityTimeout: 0 },
          { Id: '1', ReceiptHandle: 'h2', VisibilityTimeout: 0 },
        ],
      },
    ]);
    refuse = true;
    await expect(release([record('h3', arn)])).rejects.toThrow(/ReceiptHandleIsInvalid/);
  });
});

describe('the wait before a released record is handed out again', () => {
  it('is none on the first receive and grows with each later one, to at most 15 s', () => {
    expect([1, 2, 3, 4, 5, 6, 9].map(releaseBackoffSeconds)).toEqual([0, 1, 3, 7, 15, 15, 15]);
    // A record without a usable count is taken as received once.
    expect([0, Number.NaN, -2].map(releaseBackoffSeconds)).toEqual([0, 0, 0]);
  });

  it('is what the release asks SQS for, read from each record the receive count', async () => {
    const sent: ChangeMessageVisibilityBatchCommand['input'][] = [];
    const client = {
      async send(command: ChangeMessageVisibilityBatchCommand) {
        sent.push(command.input);
        return { Successful: command.input.Entries?.map((e) => ({ Id: e.Id })), Failed: [] };
      },
    } as unknown as Pick<SQSClient, 'send'>;
    const arn = 'arn:aws:sqs:eu-west-1:123456789012:aios-actions';
    const received = (handle: string, count: string) =>
      ({ ...record(handle, arn), attributes: { ApproximateReceiveCount: count } }) as SQSRecord;
    await sqsReleaseRecords(client)([received('h1', '1'), received('h3', '3'), received('h5', '5')]);
    expect(sent[0]?.Entries?.map((e) => [e.ReceiptHandle, e.VisibilityTimeout])).toEqual([
      ['h1', 0],
      ['h3', 3],
      ['h5', 15],
    ]);
  });
});
