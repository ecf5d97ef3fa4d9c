import { ChangeMessageVisibilityBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { queueUrlOf, sqsReleaseRecords } from '../../../functions/adapters/aws/sqs-release-records.ts';

const record = (receiptHandle: string, eventSourceARN: string) =>
  ({ messageId: receiptHandle, receiptHandle, eventSourceARN }) as SQSRecord;

describe('releasing gateway records on SQS (ChangeMessageVisibility to 0)', () => {
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
