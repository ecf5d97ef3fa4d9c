import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createLocalContext } from '../http/lambda-context.ts';
import { LocalQueueError, QueueHandlerError, VisibilityTimeoutExceededError } from './errors.ts';
import type { LocalQueue } from './local-queue.ts';
import { failedMessageIds, toSqsEvent } from './sqs-event.ts';

/** A Lambda SQS handler with `ReportBatchItemFailures`, e.g. one built on Powertools `processPartialResponse`. */
export type SqsBatchHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

export interface QueueErrorDetails {
  queueName: string;
  /** The messages of the batch concerned. */
  messageIds: string[];
}

export interface QueueWorkerOptions {
  queue: LocalQueue;
  queueName: string;
  /** Messages per handler call, 1-10 (the event source mapping's BatchSize). Default 10. */
  batchSize?: number;
  /** Default: the queue's own visibility timeout. */
  visibilityTimeoutSeconds?: number;
  handler: SqsBatchHandler;
  /** Wait after a poll that returned less than a full batch. Default 1000 ms. */
  pollIntervalMs?: number;
  /** Handler failures, invalid batch responses and store errors land here; the worker keeps polling. */
  onError?: (error: Error, details: QueueErrorDetails) => void;
  /** Name in the Lambda `Context`; default `<queueName>-consumer`. */
  functionName?: string;
  /** What `context.getRemainingTimeInMillis()` counts down from; default 30 s. */
  timeoutMs?: number;
}

/** What one poll did. */
export interface QueueBatchOutcome {
  received: number;
  /** Deleted after the handler succeeded for them. */
  deleted: string[];
  /** Left in the queue to reappear after their visibility timeout. */
  retried: string[];
}

export interface QueueWorker {
  /** Stops polling; resolves once the batch in flight (if any) is handled and deleted. */
  stop(): Promise<void>;
}

const defaultOnError = (error: Error, details: QueueErrorDetails) => {
  console.error(
    JSON.stringify({
      level: 'ERROR',
      message: 'queue worker error',
      queueName: details.queueName,
      messageIds: details.messageIds,
      error: { name: error.name, message: error.message, stack: error.stack },
    }),
  );
};

const asError = (value: unknown): Error => (value instanceof Error ? value : new Error(String(value)));

/**
 * Receives one batch and handles it as a Lambda event source mapping does: every message not in
 * `batchItemFailures` is deleted; if the handler throws or answers an invalid response, none is.
 */
export async function pollQueueOnce(options: QueueWorkerOptions): Promise<QueueBatchOutcome> {
  const { queue, queueName } = options;
  const onError = options.onError ?? defaultOnError;
  const messages = await queue.receive(queueName, {
    maxMessages: options.batchSize ?? 10,
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
  });
  if (messages.length === 0) return { received: 0, deleted: [], retried: [] };
  const event = toSqsEvent(queueName, messages);
  const details = { queueName, messageIds: messages.map((message) => message.messageId) };
  const allRetried = { received: messages.length, deleted: [], retried: details.messageIds };

  let failed: Set<string>;
  try {
    const context = createLocalContext(
      options.functionName ?? `${queueName}-consumer`,
      options.timeoutMs ?? 30_000,
    );
    const response = await options.handler(event, context);
    failed = failedMessageIds(event, response);
  } catch (error) {
    onError(
      error instanceof LocalQueueError
        ? error
        : new QueueHandlerError(`The handler of queue "${queueName}" failed: ${asError(error).message}`, {
            cause: error,
          }),
      details,
    );
    return allRetried;
  }

  const succeeded = messages.filter((message) => !failed.has(message.messageId));
  const deletedFlags = await Promise.all(
    succeeded.map((message) => queue.deleteMessage(queueName, message.receiptHandle)),
  );
  const lost = succeeded.filter((_, index) => !deletedFlags[index]).map((message) => message.messageId);
  if (lost.length > 0) {
    onError(
      new VisibilityTimeoutExceededError(
        `The handler of queue "${queueName}" outlasted the visibility timeout; ${lost.length} message(s) were received again and will be handled twice`,
      ),
      { queueName, messageIds: lost },
    );
  }
  return {
    received: messages.length,
    deleted: succeeded.map((message) => message.messageId).filter((id) => !lost.includes(id)),
    retried: [...failed],
  };
}

/** Polls `queueName` until stopped, calling `handler` with Lambda-shaped SQS events. */
export function startQueueWorker(options: QueueWorkerOptions): QueueWorker {
  const batchSize = options.batchSize ?? 10;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10) {
    throw new RangeError(`batchSize must be an integer from 1 to 10; got ${batchSize}`);
  }
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const reportError = options.onError ?? defaultOnError;
  // A throwing onError must not end the loop (nor the process with an unhandled rejection).
  const onError = (error: Error, details: QueueErrorDetails) => {
    try {
      reportError(error, details);
    } catch (reportFailure) {
      defaultOnError(asError(reportFailure), details);
      defaultOnError(error, details);
    }
  };
  options.queue.config(options.queueName);

  let stopped = false;
  let wake: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const pause = () =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, pollIntervalMs);
    });

  const loop = (async () => {
    while (!stopped) {
      let received = 0;
      try {
        received = (await pollQueueOnce({ ...options, batchSize, onError })).received;
      } catch (error) {
        // The store is unreachable or refused the request: report, wait, try again.
        onError(asError(error), { queueName: options.queueName, messageIds: [] });
      }
      // A full batch suggests more are waiting: poll again at once.
      if (!stopped && received < batchSize) await pause();
    }
  })();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      wake?.();
      await loop;
    },
  };
}
