import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  createLocalQueue,
  decodeReceiptHandle,
  encodeReceiptHandle,
  failedMessageIds,
  InvalidBatchResponseError,
  InvalidQueueConfigError,
  QueueDoesNotExistError,
  type QueueMessage,
  ReceiptHandleIsInvalidError,
  toSqsEvent,
} from '../../../lib/local/queue/index.ts';

const message = (messageId: string): QueueMessage => ({
  messageId,
  receiptHandle: encodeReceiptHandle({ queueName: 'actions', sk: `msg#${messageId}`, token: 't' }),
  body: `body of ${messageId}`,
  md5OfBody: 'd41d8cd98f00b204e9800998ecf8427e',
  attributes: {
    ApproximateReceiveCount: '1',
    SentTimestamp: '1767225600000',
    ApproximateFirstReceiveTimestamp: '1767225600001',
    SenderId: '000000000000',
  },
});

describe('receipt handles', () => {
  it('round-trips and is bound to its queue', () => {
    const handle = encodeReceiptHandle({ queueName: 'actions', sk: 'msg#1', token: 'abc' });
    expect(decodeReceiptHandle('actions', handle)).toEqual({
      queueName: 'actions',
      sk: 'msg#1',
      token: 'abc',
    });
    expect(() => decodeReceiptHandle('other', handle)).toThrow(ReceiptHandleIsInvalidError);
    expect(() => decodeReceiptHandle('actions', 'aiosq1.!!!')).toThrow(ReceiptHandleIsInvalidError);
    expect(() => decodeReceiptHandle('actions', 'AQEB-from-real-sqs')).toThrow(/unknown format/);
  });
});

describe('toSqsEvent', () => {
  it('builds the records an event source mapping delivers', () => {
    const event = toSqsEvent('actions', [message('m1'), message('m2')]);
    expect(event.Records).toHaveLength(2);
    expect(event.Records[1]).toEqual({
      ...message('m2'),
      messageAttributes: {},
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:local:000000000000:actions',
      awsRegion: 'local',
    });
  });
});

describe('failedMessageIds', () => {
  const event = toSqsEvent('actions', [message('m1'), message('m2')]);

  it('reads no response or an empty list as full success', () => {
    expect(failedMessageIds(event, undefined).size).toBe(0);
    expect(failedMessageIds(event, { batchItemFailures: [] }).size).toBe(0);
  });

  it('returns the ids listed', () => {
    expect([...failedMessageIds(event, { batchItemFailures: [{ itemIdentifier: 'm2' }] })]).toEqual(['m2']);
  });

  it('rejects ids that are empty or not in the batch, as Lambda fails the whole batch', () => {
    expect(() => failedMessageIds(event, { batchItemFailures: [{ itemIdentifier: '' }] })).toThrow(
      InvalidBatchResponseError,
    );
    expect(() => failedMessageIds(event, { batchItemFailures: [{ itemIdentifier: 'm9' }] })).toThrow(
      InvalidBatchResponseError,
    );
  });
});

describe('queue configuration', () => {
  // The client is never used: configuration errors surface before any request.
  const client = new DynamoDBClient({ region: 'local' });

  it('refuses half a redrive policy, a bad timeout and a queue that dead-letters to itself', () => {
    expect(() =>
      createLocalQueue({ client, queues: [{ name: 'a', visibilityTimeoutSeconds: 30, maxReceiveCount: 3 }] }),
    ).toThrow(InvalidQueueConfigError);
    expect(() => createLocalQueue({ client, queues: [{ name: 'a', visibilityTimeoutSeconds: -1 }] })).toThrow(
      /visibilityTimeoutSeconds/,
    );
    expect(() =>
      createLocalQueue({
        client,
        queues: [{ name: 'a', visibilityTimeoutSeconds: 30, maxReceiveCount: 3, deadLetterQueue: 'a' }],
      }),
    ).toThrow(/its own dead-letter queue/);
  });

  it('adds a dead-letter queue that is referenced but not listed', () => {
    const queue = createLocalQueue({
      client,
      queues: [
        { name: 'actions', visibilityTimeoutSeconds: 30, maxReceiveCount: 3, deadLetterQueue: 'actions-dlq' },
      ],
    });
    expect(queue.config('actions-dlq')).toEqual({ name: 'actions-dlq', visibilityTimeoutSeconds: 30 });
    expect(() => queue.config('nope')).toThrow(QueueDoesNotExistError);
  });
});
