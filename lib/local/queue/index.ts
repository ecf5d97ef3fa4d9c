export * from './errors.ts';
export {
  createLocalQueue,
  type LocalQueue,
  type LocalQueueOptions,
  localQueueArn,
  MAX_MESSAGE_BYTES,
  type QueueClock,
  type QueueConfig,
  type QueueMessage,
  type QueueMessageState,
  type QueueMessageSummary,
  type ReceiveOptions,
} from './local-queue.ts';
export { decodeReceiptHandle, encodeReceiptHandle, type ReceiptHandleParts } from './receipt-handle.ts';
export { failedMessageIds, releaseRecordsTo, toSqsEvent } from './sqs-event.ts';
export {
  invocationTimeoutMs,
  pollQueueOnce,
  type QueueBatchOutcome,
  type QueueErrorDetails,
  type QueueWorker,
  type QueueWorkerOptions,
  type SqsBatchHandler,
  startQueueWorker,
  VISIBILITY_TO_TIMEOUT_RATIO,
} from './worker.ts';
