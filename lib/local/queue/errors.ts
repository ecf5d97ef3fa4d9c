/** Base class of every error the local queue raises; names mirror the SQS error codes where one exists. */
export class LocalQueueError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** SQS `QueueDoesNotExist`: the queue name is not in the configuration. */
export class QueueDoesNotExistError extends LocalQueueError {}

/** A queue configuration that SQS would refuse (bad timeout, half a redrive policy, ...). */
export class InvalidQueueConfigError extends LocalQueueError {}

/** SQS `InvalidParameterValue`: a request parameter is out of range. */
export class InvalidParameterValueError extends LocalQueueError {}

/** SQS `ReceiptHandleIsInvalid`: malformed, for another queue, or superseded by a later receive. */
export class ReceiptHandleIsInvalidError extends LocalQueueError {}

/** The handler's `batchItemFailures` names a message that is not in the batch, so Lambda would fail the whole batch. */
export class InvalidBatchResponseError extends LocalQueueError {}

/** The batch handler threw or rejected; the whole batch returns to the queue. */
export class QueueHandlerError extends LocalQueueError {}

/** Messages were handled but could not be deleted, because their visibility timeout ended and another receive took them. */
export class VisibilityTimeoutExceededError extends LocalQueueError {}

/**
 * The handler outlived its timeout (Lambda's "Task timed out"): the invocation is abandoned, none
 * of its messages is deleted, and they reappear after their visibility timeout.
 */
export class HandlerTimedOutError extends LocalQueueError {}
