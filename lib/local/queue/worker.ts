import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createLocalContext } from '../http/lambda-context.ts';
import {
  HandlerTimedOutError,
  LocalQueueError,
  QueueHandlerError,
  VisibilityTimeoutExceededError,
} from './errors.ts';
import type { LocalQueue, QueueMessage } from './local-queue.ts';
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
  /**
   * The function timeout: `context.getRemainingTimeInMillis()` counts down from it, and an
   * invocation still running then is abandoned. Must be shorter than the visibility timeout;
   * default a sixth of it, the ratio AWS advises for a Lambda event source (and the CDK stack sets).
   */
  timeoutMs?: number;
  /**
   * Handler invocations at once (as a Lambda event source's concurrency), fed by this worker's one
   * receiver: each receive takes the oldest visible messages for an idle invocation, so the
   * invocations never race one another for the same messages. Default 1.
   */
  concurrency?: number;
}

/** AWS's guidance for an SQS event source: visibility timeout at least six times the function timeout. */
export const VISIBILITY_TO_TIMEOUT_RATIO = 6;

/** What one poll did. */
export interface QueueBatchOutcome {
  received: number;
  /** Deleted after the handler succeeded for them. */
  deleted: string[];
  /** Left in the queue to reappear after their visibility timeout. */
  retried: string[];
  /**
   * Set when the handler outlived its timeout: the abandoned invocation, which settles once it
   * stops. A Lambda would be killed; here the worker waits for it before its next poll, as a
   * concurrency slot is not reused before its sandbox is reset.
   */
  abandoned?: Promise<void>;
}

export interface QueueWorker {
  /** Stops polling; resolves once the batch in flight (if any) is handled and deleted, or abandoned at its timeout. */
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

/** The function timeout of a worker: given, or a sixth of the visibility timeout; always shorter than it. */
export function invocationTimeoutMs(options: QueueWorkerOptions): number {
  const visibilityMs =
    (options.visibilityTimeoutSeconds ?? options.queue.config(options.queueName).visibilityTimeoutSeconds) *
    1000;
  const timeoutMs = options.timeoutMs ?? Math.floor(visibilityMs / VISIBILITY_TO_TIMEOUT_RATIO);
  if (!(timeoutMs > 0 && timeoutMs < visibilityMs)) {
    throw new RangeError(
      `the handler timeout of queue "${options.queueName}" (${timeoutMs} ms) must be positive and shorter than its visibility timeout (${visibilityMs} ms), or a message is received again while its handler still runs`,
    );
  }
  return timeoutMs;
}

const TIMED_OUT = Symbol('timed out');
const noop = () => {};

/** The handler's answer, or TIMED_OUT once `timeoutMs` has passed; the handler is not waited for. */
function withTimeout<T>(invocation: Promise<T>, timeoutMs: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), timeoutMs);
  });
  return Promise.race([invocation, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Receives one batch and handles it as a Lambda event source mapping does: every message not in
 * `batchItemFailures` is deleted; if the handler throws or answers an invalid response, none is.
 */
export async function pollQueueOnce(options: QueueWorkerOptions): Promise<QueueBatchOutcome> {
  return handleBatch(options, await receiveBatch(options));
}

function receiveBatch(options: QueueWorkerOptions): Promise<QueueMessage[]> {
  return options.queue.receive(options.queueName, {
    maxMessages: options.batchSize ?? 10,
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
  });
}

/** One invocation of the handler on received messages, and the deletes of those it handled. */
async function handleBatch(
  options: QueueWorkerOptions,
  messages: QueueMessage[],
): Promise<QueueBatchOutcome> {
  const { queue, queueName } = options;
  const onError = options.onError ?? defaultOnError;
  const timeoutMs = invocationTimeoutMs(options);
  if (messages.length === 0) return { received: 0, deleted: [], retried: [] };
  const event = toSqsEvent(queueName, messages);
  const details = { queueName, messageIds: messages.map((message) => message.messageId) };
  const allRetried = { received: messages.length, deleted: [], retried: details.messageIds };

  let failed: Set<string>;
  try {
    const context = createLocalContext(options.functionName ?? `${queueName}-consumer`, timeoutMs);
    // Started on a promise so a handler that throws synchronously is a rejection like any other.
    const invocation = Promise.resolve().then(() => options.handler(event, context));
    const response = await withTimeout(invocation, timeoutMs);
    if (response === TIMED_OUT) {
      onError(
        new HandlerTimedOutError(
          `The handler of queue "${queueName}" timed out after ${timeoutMs} ms; its ${messages.length} message(s) reappear after the visibility timeout`,
        ),
        details,
      );
      // Whatever it still answers is ignored, as Lambda ignores a timed-out invocation.
      return { ...allRetried, abandoned: invocation.then(noop, noop) };
    }
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
  const deletedFlags =
    succeeded.length === 0
      ? []
      : await queue.deleteMessages(
          queueName,
          succeeded.map((message) => message.receiptHandle),
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
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer; got ${concurrency}`);
  }
  const timeoutMs = invocationTimeoutMs(options);
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
  // Set by a send since the last receive began: that receive may have run before the message was
  // there, so the worker polls again at once rather than sleeping on it.
  let sentSincePoll = false;
  const pause = () =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, pollIntervalMs);
    });
  // A message sent in this process wakes the worker; the poll interval is left for messages that
  // come back by themselves (a visibility timeout ending) and for other senders.
  const unsubscribe = options.queue.onVisible(options.queueName, () => {
    sentSincePoll = true;
    clearTimeout(timer);
    wake?.();
  });

  const batchOptions = { ...options, batchSize, timeoutMs, onError };
  /** Invocations still running (or still holding their slot after a timeout). */
  const running = new Set<Promise<void>>();
  const invoke = (messages: QueueMessage[]) => {
    const slot: Promise<void> = (async () => {
      const outcome = await handleBatch(batchOptions, messages);
      // The slot is taken until the abandoned invocation stops, or for one more timeout at most
      // (a handler that never settles must not stop the worker for good).
      if (outcome.abandoned) await withTimeout(outcome.abandoned, timeoutMs);
    })()
      .catch((error: unknown) =>
        // The store is unreachable or refused the deletes: the messages come back after their timeout.
        onError(asError(error), {
          queueName: options.queueName,
          messageIds: messages.map((message) => message.messageId),
        }),
      )
      .finally(() => running.delete(slot));
    running.add(slot);
  };

  const loop = (async () => {
    while (!stopped) {
      if (running.size >= concurrency) {
        await Promise.race(running);
        continue;
      }
      let received = 0;
      sentSincePoll = false;
      try {
        const messages = await receiveBatch(batchOptions);
        received = messages.length;
        if (received > 0) invoke(messages);
      } catch (error) {
        // The store is unreachable or refused the request: report, wait, try again.
        onError(asError(error), { queueName: options.queueName, messageIds: [] });
      }
      // A full batch suggests more are waiting: poll again at once (once a slot is free).
      if (!stopped && received < batchSize && !sentSincePoll) await pause();
      wake = undefined;
    }
    await Promise.all(running);
    unsubscribe();
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
