import { InvalidParameterValueError, InvalidQueueConfigError, QueueDoesNotExistError } from './errors.ts';

/** One queue, as a CDK `sqs.Queue` with a `deadLetterQueue` would declare it. */
export interface QueueConfig {
  name: string;
  /** Default visibility timeout of a receive, 0-43200 s. */
  visibilityTimeoutSeconds: number;
  /** Receives after which the next receive moves the message to `deadLetterQueue` (1-1000). */
  maxReceiveCount?: number;
  /** Name of the dead-letter queue; set together with `maxReceiveCount`. */
  deadLetterQueue?: string;
}

export const MAX_VISIBILITY_SECONDS = 43_200;
const DEFAULT_DLQ_VISIBILITY_SECONDS = 30;

/** The queues by name, checked as SQS would check them, with any dead-letter queue not listed added. */
export function normaliseConfigs(queues: readonly QueueConfig[]): Map<string, QueueConfig> {
  const configs = new Map<string, QueueConfig>();
  for (const queue of queues) {
    checkConfig(queue, configs);
    configs.set(queue.name, { ...queue });
  }
  for (const queue of [...configs.values()]) {
    if (queue.deadLetterQueue && !configs.has(queue.deadLetterQueue)) {
      configs.set(queue.deadLetterQueue, {
        name: queue.deadLetterQueue,
        visibilityTimeoutSeconds: DEFAULT_DLQ_VISIBILITY_SECONDS,
      });
    }
  }
  return configs;
}

function checkConfig(queue: QueueConfig, known: ReadonlyMap<string, QueueConfig>): void {
  const invalid = (why: string) => new InvalidQueueConfigError(`Queue "${queue.name}": ${why}`);
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(queue.name)) {
    throw invalid('the name must be 1-80 letters, digits, "-" or "_"');
  }
  if (known.has(queue.name)) throw invalid('configured twice');
  const { visibilityTimeoutSeconds: vt, maxReceiveCount: max, deadLetterQueue: dlq } = queue;
  if (!Number.isInteger(vt) || vt < 0 || vt > MAX_VISIBILITY_SECONDS) {
    throw invalid(`visibilityTimeoutSeconds must be an integer from 0 to ${MAX_VISIBILITY_SECONDS}`);
  }
  if ((max === undefined) !== (dlq === undefined)) {
    throw invalid('maxReceiveCount and deadLetterQueue go together (an SQS redrive policy)');
  }
  if (max !== undefined && (!Number.isInteger(max) || max < 1 || max > 1000)) {
    throw invalid('maxReceiveCount must be an integer from 1 to 1000');
  }
  if (dlq === queue.name) throw invalid('a queue cannot be its own dead-letter queue');
}

/** The configuration of a queue; QueueDoesNotExistError naming the known ones if it is not configured. */
export function configOf(configs: ReadonlyMap<string, QueueConfig>, queueName: string): QueueConfig {
  const config = configs.get(queueName);
  if (!config) {
    throw new QueueDoesNotExistError(
      `Queue "${queueName}" is not configured; known queues: ${[...configs.keys()].join(', ') || '(none)'}`,
    );
  }
  return config;
}

export function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidParameterValueError(`${name} must be an integer from ${min} to ${max}; got ${value}`);
  }
}
