import { createHash, randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { TABLE_NAMES } from '../table-definitions.ts';
import {
  InvalidParameterValueError,
  InvalidQueueConfigError,
  MessageNotInflightError,
  QueueDoesNotExistError,
  ReceiptHandleIsInvalidError,
} from './errors.ts';
import { decodeReceiptHandle, encodeReceiptHandle } from './receipt-handle.ts';

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

/** Milliseconds since the epoch; injected so tests move time instead of sleeping. */
export interface QueueClock {
  now(): number;
}

export interface LocalQueueOptions {
  /** A client of the embedded store (`startEmbeddedDynamoDB().client`). */
  client: DynamoDBClient;
  /** Every queue used; a dead-letter queue not listed gets a 30 s visibility timeout and no redrive policy. */
  queues: readonly QueueConfig[];
  clock?: QueueClock;
  /** Defaults to `aios-local-queue`. */
  tableName?: string;
}

/** A received message, shaped like an SQS `Message` with `AttributeNames: ['All']`. */
export interface QueueMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  md5OfBody: string;
  attributes: {
    ApproximateReceiveCount: string;
    SentTimestamp: string;
    ApproximateFirstReceiveTimestamp: string;
    SenderId: string;
    DeadLetterQueueSourceArn?: string;
  };
}

export type QueueMessageState = 'visible' | 'inFlight' | 'delayed';

/** What the CLI shows about a stored message; never a receipt handle. */
export interface QueueMessageSummary {
  messageId: string;
  body: string;
  state: QueueMessageState;
  sentTimestamp: number;
  receiveCount: number;
  firstReceiveTimestamp?: number;
  /** When the message becomes (or became) receivable. */
  visibleAt: number;
  /** For a message in a dead-letter queue: the queue it came from. */
  deadLetterSourceQueue?: string;
}

/** The three SQS `ApproximateNumberOfMessages*` attributes. */
export interface QueueCounts {
  visible: number;
  inFlight: number;
  delayed: number;
  total: number;
}

export interface SendOptions {
  /** 0-900 s, as SQS `DelaySeconds`. */
  delaySeconds?: number;
}

export interface ReceiveOptions {
  /** 1-10, default 1, as SQS `MaxNumberOfMessages`. */
  maxMessages?: number;
  /** Overrides the queue's default for this receive, 0-43200 s. */
  visibilityTimeoutSeconds?: number;
}

export interface RedriveOptions {
  /** Destination queue; default: the queue each message was dead-lettered from. */
  to?: string;
}

/** A durable queue with the semantics of an SQS standard queue, kept in the embedded store. */
export interface LocalQueue {
  /** Returns the message id. */
  send(queueName: string, body: string, options?: SendOptions): Promise<string>;
  /** Claims up to `maxMessages` visible messages; each gets a fresh receipt handle. May return fewer, or none. */
  receive(queueName: string, options?: ReceiveOptions): Promise<QueueMessage[]>;
  /**
   * Deletes the message if `receiptHandle` is from its latest receive. A stale handle (the message was
   * received again since) or a message already gone deletes nothing and returns false, as SQS answers
   * success without deleting; a malformed handle or one of another queue throws ReceiptHandleIsInvalidError.
   */
  deleteMessage(queueName: string, receiptHandle: string): Promise<boolean>;
  /**
   * Sets the in-flight message's visibility timeout to `visibilityTimeoutSeconds` from now (0 makes it
   * visible at once). MessageNotInflightError once its visibility has ended; ReceiptHandleIsInvalidError
   * for a stale handle.
   */
  changeMessageVisibility(
    queueName: string,
    receiptHandle: string,
    visibilityTimeoutSeconds: number,
  ): Promise<void>;
  list(queueName: string): Promise<QueueMessageSummary[]>;
  approximateCount(queueName: string): Promise<QueueCounts>;
  /** Moves every visible message of a dead-letter queue back to its source (or `options.to`); returns how many moved. */
  redrive(deadLetterQueueName: string, options?: RedriveOptions): Promise<number>;
  /**
   * Makes every message in flight visible now, as if its visibility timeout had ended; returns how
   * many. Only for a consumer that starts after its previous process died holding them: the local
   * runtime, which alone consumes its queues, does it at start so nothing waits out the timeout.
   */
  releaseInFlight(queueName: string): Promise<number>;
  /** The configuration of a queue; QueueDoesNotExistError if unknown. */
  config(queueName: string): Readonly<QueueConfig>;
  queueNames(): string[];
}

/** The ARN the local runtime gives a queue, in the shape Lambda event source mappings report. */
export function localQueueArn(queueName: string): string {
  return `arn:aws:sqs:local:000000000000:${queueName}`;
}

/** SQS's limit before its 2025 raise; also well inside the store's 400 KB item limit. */
export const MAX_MESSAGE_BYTES = 262_144;
const MAX_DELAY_SECONDS = 900;
const MAX_VISIBILITY_SECONDS = 43_200;
const DEFAULT_DLQ_VISIBILITY_SECONDS = 30;
/** How long a message is hidden while it moves between queues; a crash mid-move retries after it. */
const MOVE_LEASE_MS = 30_000;
/** Visible messages read per receive before claiming; bounds the work when many receivers compete. */
const CANDIDATES_PER_RECEIVE = 100;
const LOCAL_SENDER_ID = '000000000000';
// The characters SQS accepts in a message body.
const INVALID_BODY_CHARACTER = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

interface MessageItem {
  pk: string;
  sk: string;
  messageId: string;
  body: string;
  sentAt: number;
  visibleAt: number;
  receiveCount: number;
  /** Bumped by every change, so a conditional write acts only on the state it read. */
  version: number;
  firstReceiveAt?: number;
  /** Token of the latest receive; a receipt handle acts only while it carries this token. */
  receiptToken?: string;
  deadLetterSource?: string;
}

const queuePk = (queueName: string) => `queue#${queueName}`;
// Sorted by send time, then by a per-process sequence, so receives are roughly first in, first out
// (a standard queue promises no order, but a predictable one is kinder to someone reading a log).
let sendSequence = 0;
const messageSk = (sentAt: number, messageId: string) => {
  sendSequence = (sendSequence + 1) % 1_000_000;
  return `msg#${String(sentAt).padStart(15, '0')}#${String(sendSequence).padStart(6, '0')}#${messageId}`;
};
const md5 = (body: string) => createHash('md5').update(body, 'utf8').digest('hex');

function isConditionalCheckFailed(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'ConditionalCheckFailedException';
}

function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidParameterValueError(`${name} must be an integer from ${min} to ${max}; got ${value}`);
  }
}

function normaliseConfigs(queues: readonly QueueConfig[]): Map<string, QueueConfig> {
  const configs = new Map<string, QueueConfig>();
  const invalid = (name: string, why: string) => new InvalidQueueConfigError(`Queue "${name}": ${why}`);
  for (const queue of queues) {
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(queue.name)) {
      throw invalid(queue.name, 'the name must be 1-80 letters, digits, "-" or "_"');
    }
    if (configs.has(queue.name)) throw invalid(queue.name, 'configured twice');
    const { visibilityTimeoutSeconds: vt, maxReceiveCount: max, deadLetterQueue: dlq } = queue;
    if (!Number.isInteger(vt) || vt < 0 || vt > MAX_VISIBILITY_SECONDS) {
      throw invalid(
        queue.name,
        `visibilityTimeoutSeconds must be an integer from 0 to ${MAX_VISIBILITY_SECONDS}`,
      );
    }
    if ((max === undefined) !== (dlq === undefined)) {
      throw invalid(queue.name, 'maxReceiveCount and deadLetterQueue go together (an SQS redrive policy)');
    }
    if (max !== undefined && (!Number.isInteger(max) || max < 1 || max > 1000)) {
      throw invalid(queue.name, 'maxReceiveCount must be an integer from 1 to 1000');
    }
    if (dlq === queue.name) throw invalid(queue.name, 'a queue cannot be its own dead-letter queue');
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

export function createLocalQueue(options: LocalQueueOptions): LocalQueue {
  const table = options.tableName ?? TABLE_NAMES.queue;
  const clock = options.clock ?? { now: () => Date.now() };
  const db = DynamoDBDocumentClient.from(options.client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const configs = normaliseConfigs(options.queues);

  const configOf = (queueName: string): QueueConfig => {
    const config = configs.get(queueName);
    if (!config) {
      throw new QueueDoesNotExistError(
        `Queue "${queueName}" is not configured; known queues: ${[...configs.keys()].join(', ') || '(none)'}`,
      );
    }
    return config;
  };

  async function queryAll(
    queueName: string,
    visibleBefore: number | undefined,
    limit = Number.POSITIVE_INFINITY,
  ): Promise<MessageItem[]> {
    const items: MessageItem[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await db.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk',
          ...(visibleBefore === undefined
            ? { ExpressionAttributeValues: { ':pk': queuePk(queueName) } }
            : {
                FilterExpression: 'visibleAt <= :now',
                ExpressionAttributeValues: { ':pk': queuePk(queueName), ':now': visibleBefore },
              }),
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...((page.Items ?? []) as MessageItem[]));
      startKey = page.LastEvaluatedKey;
    } while (startKey && items.length < limit);
    return items;
  }

  /** Claims one visible message for this receive; undefined when another receiver was first. */
  async function claim(
    queueName: string,
    item: MessageItem,
    now: number,
    visibilityMs: number,
  ): Promise<QueueMessage | undefined> {
    const token = randomUUID();
    try {
      const result = await db.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk: item.pk, sk: item.sk },
          ConditionExpression: 'version = :seen AND visibleAt <= :now',
          UpdateExpression:
            'SET version = :next, receiveCount = receiveCount + :one, visibleAt = :until, ' +
            'receiptToken = :token, firstReceiveAt = if_not_exists(firstReceiveAt, :now)',
          ExpressionAttributeValues: {
            ':seen': item.version,
            ':next': item.version + 1,
            ':now': now,
            ':one': 1,
            ':until': now + visibilityMs,
            ':token': token,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const claimed = result.Attributes as MessageItem;
      return {
        messageId: claimed.messageId,
        receiptHandle: encodeReceiptHandle({ queueName, sk: claimed.sk, token }),
        body: claimed.body,
        md5OfBody: md5(claimed.body),
        attributes: {
          ApproximateReceiveCount: String(claimed.receiveCount),
          SentTimestamp: String(claimed.sentAt),
          ApproximateFirstReceiveTimestamp: String(claimed.firstReceiveAt ?? now),
          SenderId: LOCAL_SENDER_ID,
          ...(claimed.deadLetterSource
            ? { DeadLetterQueueSourceArn: localQueueArn(claimed.deadLetterSource) }
            : {}),
        },
      };
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
  }

  /**
   * Moves a visible message to another queue without transactions: hide it (which also voids its
   * receipt handles), copy it unless a copy from an interrupted move is there, then delete the original.
   * A crash in between leaves the original to reappear after the lease and move again, never a loss.
   */
  async function move(
    from: string,
    item: MessageItem,
    to: string,
    now: number,
    kind: 'deadLetter' | 'redrive',
  ): Promise<boolean> {
    try {
      await db.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk: item.pk, sk: item.sk },
          ConditionExpression: 'version = :seen AND visibleAt <= :now',
          UpdateExpression: 'SET version = :next, visibleAt = :lease REMOVE receiptToken',
          ExpressionAttributeValues: {
            ':seen': item.version,
            ':next': item.version + 1,
            ':now': now,
            ':lease': now + MOVE_LEASE_MS,
          },
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
    const { receiptToken: _token, firstReceiveAt, deadLetterSource: _source, ...rest } = item;
    const copy: MessageItem =
      kind === 'deadLetter'
        ? { ...rest, pk: queuePk(to), visibleAt: now, version: 0, firstReceiveAt, deadLetterSource: from }
        : // A redriven message starts over, or it would go straight back to the dead-letter queue.
          { ...rest, pk: queuePk(to), visibleAt: now, version: 0, receiveCount: 0 };
    try {
      await db.send(
        new PutCommand({ TableName: table, Item: copy, ConditionExpression: 'attribute_not_exists(pk)' }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
    try {
      await db.send(
        new DeleteCommand({
          TableName: table,
          Key: { pk: item.pk, sk: item.sk },
          ConditionExpression: 'version = :leased',
          ExpressionAttributeValues: { ':leased': item.version + 1 },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
    return true;
  }

  const stateOf = (item: MessageItem, now: number): QueueMessageState => {
    if (item.visibleAt <= now) return 'visible';
    return item.receiveCount > 0 || item.receiptToken !== undefined ? 'inFlight' : 'delayed';
  };

  return {
    async send(queueName, body, sendOptions = {}) {
      configOf(queueName);
      if (typeof body !== 'string' || body.length === 0) {
        throw new InvalidParameterValueError('The message body must be a non-empty string');
      }
      const bytes = Buffer.byteLength(body, 'utf8');
      if (bytes > MAX_MESSAGE_BYTES) {
        throw new InvalidParameterValueError(
          `The message body is ${bytes} bytes; the limit is ${MAX_MESSAGE_BYTES} bytes`,
        );
      }
      if (INVALID_BODY_CHARACTER.test(body)) {
        throw new InvalidParameterValueError('The message body contains characters SQS does not accept');
      }
      const delaySeconds = sendOptions.delaySeconds ?? 0;
      checkInteger('delaySeconds', delaySeconds, 0, MAX_DELAY_SECONDS);
      const now = clock.now();
      const messageId = randomUUID();
      const item: MessageItem = {
        pk: queuePk(queueName),
        sk: messageSk(now, messageId),
        messageId,
        body,
        sentAt: now,
        visibleAt: now + delaySeconds * 1000,
        receiveCount: 0,
        version: 0,
      };
      await db.send(new PutCommand({ TableName: table, Item: item }));
      return messageId;
    },

    async receive(queueName, receiveOptions = {}) {
      const config = configOf(queueName);
      const maxMessages = receiveOptions.maxMessages ?? 1;
      checkInteger('maxMessages', maxMessages, 1, 10);
      const visibilitySeconds = receiveOptions.visibilityTimeoutSeconds ?? config.visibilityTimeoutSeconds;
      checkInteger('visibilityTimeoutSeconds', visibilitySeconds, 0, MAX_VISIBILITY_SECONDS);
      const now = clock.now();
      const candidates = await queryAll(queueName, now, CANDIDATES_PER_RECEIVE);
      const delivered: QueueMessage[] = [];
      let next = 0;
      while (delivered.length < maxMessages && next < candidates.length) {
        const window = candidates.slice(next, next + maxMessages - delivered.length);
        next += window.length;
        const results = await Promise.all(
          window.map(async (item) => {
            if (
              config.deadLetterQueue !== undefined &&
              config.maxReceiveCount !== undefined &&
              item.receiveCount >= config.maxReceiveCount
            ) {
              await move(queueName, item, config.deadLetterQueue, now, 'deadLetter');
              return undefined;
            }
            return claim(queueName, item, now, visibilitySeconds * 1000);
          }),
        );
        for (const message of results) if (message) delivered.push(message);
      }
      return delivered;
    },

    async deleteMessage(queueName, receiptHandle) {
      configOf(queueName);
      const { sk, token } = decodeReceiptHandle(queueName, receiptHandle);
      try {
        await db.send(
          new DeleteCommand({
            TableName: table,
            Key: { pk: queuePk(queueName), sk },
            ConditionExpression: 'receiptToken = :token',
            ExpressionAttributeValues: { ':token': token },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionalCheckFailed(error)) return false;
        throw error;
      }
    },

    async changeMessageVisibility(queueName, receiptHandle, visibilityTimeoutSeconds) {
      configOf(queueName);
      checkInteger('visibilityTimeoutSeconds', visibilityTimeoutSeconds, 0, MAX_VISIBILITY_SECONDS);
      const { sk, token } = decodeReceiptHandle(queueName, receiptHandle);
      const key = { pk: queuePk(queueName), sk };
      const now = clock.now();
      try {
        await db.send(
          new UpdateCommand({
            TableName: table,
            Key: key,
            ConditionExpression: 'receiptToken = :token AND visibleAt > :now',
            UpdateExpression: 'SET visibleAt = :until, version = version + :one',
            ExpressionAttributeValues: {
              ':token': token,
              ':now': now,
              ':until': now + visibilityTimeoutSeconds * 1000,
              ':one': 1,
            },
          }),
        );
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
        const current = await db.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }));
        const item = current.Item as MessageItem | undefined;
        if (item?.receiptToken === token) {
          throw new MessageNotInflightError(
            `Message ${item.messageId} on queue "${queueName}" is not in flight: its visibility timeout has ended`,
            { cause: error },
          );
        }
        throw new ReceiptHandleIsInvalidError(
          `The receipt handle for queue "${queueName}" is stale: the message was deleted or received again`,
          { cause: error },
        );
      }
    },

    async list(queueName) {
      configOf(queueName);
      const now = clock.now();
      const items = await queryAll(queueName, undefined);
      return items.map((item) => ({
        messageId: item.messageId,
        body: item.body,
        state: stateOf(item, now),
        sentTimestamp: item.sentAt,
        receiveCount: item.receiveCount,
        visibleAt: item.visibleAt,
        ...(item.firstReceiveAt !== undefined ? { firstReceiveTimestamp: item.firstReceiveAt } : {}),
        ...(item.deadLetterSource !== undefined ? { deadLetterSourceQueue: item.deadLetterSource } : {}),
      }));
    },

    async approximateCount(queueName) {
      configOf(queueName);
      const now = clock.now();
      const counts: QueueCounts = { visible: 0, inFlight: 0, delayed: 0, total: 0 };
      for (const item of await queryAll(queueName, undefined)) {
        counts[stateOf(item, now)] += 1;
        counts.total += 1;
      }
      return counts;
    },

    async redrive(deadLetterQueueName, redriveOptions = {}) {
      configOf(deadLetterQueueName);
      if (redriveOptions.to !== undefined) configOf(redriveOptions.to);
      const now = clock.now();
      let moved = 0;
      for (const item of await queryAll(deadLetterQueueName, now)) {
        const to = redriveOptions.to ?? item.deadLetterSource;
        if (to === undefined) {
          throw new InvalidParameterValueError(
            `Message ${item.messageId} on "${deadLetterQueueName}" was not dead-lettered from a known queue; pass a destination`,
          );
        }
        configOf(to);
        if (await move(deadLetterQueueName, item, to, now, 'redrive')) moved += 1;
      }
      return moved;
    },

    async releaseInFlight(queueName) {
      configOf(queueName);
      const now = clock.now();
      let released = 0;
      for (const item of await queryAll(queueName, undefined)) {
        if (stateOf(item, now) !== 'inFlight') continue;
        try {
          await db.send(
            new UpdateCommand({
              TableName: table,
              Key: { pk: item.pk, sk: item.sk },
              ConditionExpression: 'version = :version',
              UpdateExpression: 'SET visibleAt = :now, version = version + :one',
              ExpressionAttributeValues: { ':version': item.version, ':now': now, ':one': 1 },
            }),
          );
          released += 1;
        } catch (error) {
          // Deleted or received again meanwhile: nothing to release.
          if (!isConditionalCheckFailed(error)) throw error;
        }
      }
      return released;
    },

    config(queueName) {
      return { ...configOf(queueName) };
    },

    queueNames() {
      return [...configs.keys()];
    },
  };
}
