import { createHash, randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { TABLE_NAMES } from '../table-definitions.ts';
import { InvalidParameterValueError } from './errors.ts';
import {
  checkInteger,
  configOf,
  MAX_VISIBILITY_SECONDS,
  normaliseConfigs,
  type QueueConfig,
} from './queue-config.ts';
import { decodeReceiptHandle, encodeReceiptHandle } from './receipt-handle.ts';

export type { QueueConfig } from './queue-config.ts';

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

export type QueueMessageState = 'visible' | 'inFlight';

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

export interface ReceiveOptions {
  /** 1-10, default 1, as SQS `MaxNumberOfMessages`. */
  maxMessages?: number;
  /** Overrides the queue's default for this receive, 0-43200 s. */
  visibilityTimeoutSeconds?: number;
}

/** A durable queue with the semantics of an SQS standard queue, kept in the embedded store. */
export interface LocalQueue {
  /** Returns the message id. */
  send(queueName: string, body: string): Promise<string>;
  /** Claims up to `maxMessages` visible messages; each gets a fresh receipt handle. May return fewer, or none. */
  receive(queueName: string, options?: ReceiveOptions): Promise<QueueMessage[]>;
  /**
   * Deletes the message if `receiptHandle` is from its latest receive. A stale handle (the message was
   * received again since) or a message already gone deletes nothing and returns false, as SQS answers
   * success without deleting; a malformed handle or one of another queue throws ReceiptHandleIsInvalidError.
   */
  deleteMessage(queueName: string, receiptHandle: string): Promise<boolean>;
  /**
   * `deleteMessage` for each handle, as SQS DeleteMessageBatch: one flag per handle, in order. In
   * one store request when every handle is current; otherwise handle by handle.
   */
  deleteMessages(queueName: string, receiptHandles: readonly string[]): Promise<boolean[]>;
  /**
   * Sets how long until the message may be received again, counted from now (SQS
   * ChangeMessageVisibility): 0 makes it receivable at once. Acts only while `receiptHandle` is from
   * the message's latest receive and the message is still in flight, and then returns true; a stale
   * handle or a message gone or already visible changes nothing and returns false.
   */
  changeVisibility(
    queueName: string,
    receiptHandle: string,
    visibilityTimeoutSeconds: number,
  ): Promise<boolean>;
  list(queueName: string): Promise<QueueMessageSummary[]>;
  /** Moves every visible message of a dead-letter queue back to its source; returns how many moved. */
  redrive(deadLetterQueueName: string): Promise<number>;
  /**
   * Makes every message in flight visible now, as if its visibility timeout had ended; returns how
   * many. Only for a consumer that starts after its previous process died holding them: the local
   * runtime, which alone consumes its queues, does it at start so nothing waits out the timeout.
   */
  releaseInFlight(queueName: string): Promise<number>;
  /** The configuration of a queue; QueueDoesNotExistError if unknown. */
  config(queueName: string): Readonly<QueueConfig>;
  /**
   * Calls `listener` each time a message becomes receivable on the queue through this object (a
   * send, a redrive, a release): a worker in the same process wakes at once instead of polling
   * for it. Returns the unsubscribe function.
   */
  onVisible(queueName: string, listener: () => void): () => void;
}

/** The ARN the local runtime gives a queue, in the shape Lambda event source mappings report. */
export function localQueueArn(queueName: string): string {
  return `arn:aws:sqs:local:000000000000:${queueName}`;
}

/** SQS's limit before its 2025 raise; also well inside the store's 400 KB item limit. */
export const MAX_MESSAGE_BYTES = 262_144;
/** How long a message is hidden while it moves between queues; a crash mid-move retries after it. */
const MOVE_LEASE_MS = 30_000;
/** Visible messages read per receive before claiming; bounds the work when many receivers compete. */
const CANDIDATES_PER_RECEIVE = 100;
/**
 * Messages the store reads per page of a receive. The filter on visibility applies after the page
 * is read, so a page also holds the messages in flight at the head of the queue; without a limit
 * every receive read the whole queue, and draining N messages read N²/batch of them.
 */
const RECEIVE_PAGE = 50;
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

/** A transaction refused whole: one of its conditions failed (or, on DynamoDB, it met another). */
function isTransactionCanceled(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'TransactionCanceledException';
}

/** What every queue operation works on: the queues' table in the embedded store and the clock. */
interface QueueTable {
  db: DynamoDBDocumentClient;
  table: string;
  clock: QueueClock;
  configs: ReadonlyMap<string, QueueConfig>;
  listeners: Map<string, Set<() => void>>;
}

/** Tells the queue's listeners that a message can be received now; a throwing listener is not the sender's problem. */
function announce(queues: QueueTable, queueName: string): void {
  for (const listener of queues.listeners.get(queueName) ?? []) {
    try {
      listener();
    } catch {
      // A wake-up is a hint: the listener's next poll finds the message anyway.
    }
  }
}

export function createLocalQueue(options: LocalQueueOptions): LocalQueue {
  const queues: QueueTable = {
    db: DynamoDBDocumentClient.from(options.client, { marshallOptions: { removeUndefinedValues: true } }),
    table: TABLE_NAMES.queue,
    clock: options.clock ?? { now: () => Date.now() },
    configs: normaliseConfigs(options.queues),
    listeners: new Map(),
  };
  return {
    send: (queueName, body) => sendMessage(queues, queueName, body),
    receive: (queueName, receiveOptions) => receiveMessages(queues, queueName, receiveOptions),
    deleteMessage: (queueName, receiptHandle) => deleteMessage(queues, queueName, receiptHandle),
    deleteMessages: (queueName, receiptHandles) => deleteMessages(queues, queueName, receiptHandles),
    changeVisibility: (queueName, receiptHandle, seconds) =>
      changeVisibility(queues, queueName, receiptHandle, seconds),
    list: (queueName) => listMessages(queues, queueName),
    redrive: (deadLetterQueueName) => redrive(queues, deadLetterQueueName),
    releaseInFlight: (queueName) => releaseInFlight(queues, queueName),
    config: (queueName) => ({ ...configOf(queues.configs, queueName) }),
    onVisible(queueName, listener) {
      configOf(queues.configs, queueName);
      const set = queues.listeners.get(queueName) ?? new Set();
      queues.listeners.set(queueName, set);
      set.add(listener);
      return () => set.delete(listener);
    },
  };
}

async function sendMessage(queues: QueueTable, queueName: string, body: string): Promise<string> {
  configOf(queues.configs, queueName);
  checkBody(body);
  const now = queues.clock.now();
  const messageId = randomUUID();
  const item: MessageItem = {
    pk: queuePk(queueName),
    sk: messageSk(now, messageId),
    messageId,
    body,
    sentAt: now,
    visibleAt: now,
    receiveCount: 0,
    version: 0,
  };
  await queues.db.send(new PutCommand({ TableName: queues.table, Item: item }));
  announce(queues, queueName);
  return messageId;
}

function checkBody(body: string): void {
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
}

async function receiveMessages(
  queues: QueueTable,
  queueName: string,
  options: ReceiveOptions = {},
): Promise<QueueMessage[]> {
  const config = configOf(queues.configs, queueName);
  const maxMessages = options.maxMessages ?? 1;
  checkInteger('maxMessages', maxMessages, 1, 10);
  const visibilitySeconds = options.visibilityTimeoutSeconds ?? config.visibilityTimeoutSeconds;
  checkInteger('visibilityTimeoutSeconds', visibilitySeconds, 0, MAX_VISIBILITY_SECONDS);
  const now = queues.clock.now();
  // Enough to fill the batch when other receivers take some of the same ones first.
  const candidates = await queryAll(
    queues,
    queueName,
    now,
    Math.min(CANDIDATES_PER_RECEIVE, maxMessages * 4),
    RECEIVE_PAGE,
  );
  const delivered: Claimed[] = [];
  const visibilityMs = visibilitySeconds * 1000;
  let next = 0;
  while (delivered.length < maxMessages && next < candidates.length) {
    const window = candidates.slice(next, next + maxMessages - delivered.length);
    next += window.length;
    const dying = window.filter((item) => dueForDeadLetter(config, item));
    const claimable = window.filter((item) => !dueForDeadLetter(config, item));
    // One request for the window while no other receiver took any of it; item by item otherwise.
    const claimedTogether = await claimAll(queues, config.name, claimable, now, visibilityMs);
    const results = await Promise.all([
      ...dying.map((item) => deadLetter(queues, config, item, now)),
      ...(claimedTogether ?? claimable.map((item) => claim(queues, config.name, item, now, visibilityMs))),
    ]);
    for (const message of results) if (message) delivered.push(message);
  }
  // Oldest first, as the candidates were read.
  return delivered
    .sort((a, b) => (a.sk < b.sk ? -1 : a.sk > b.sk ? 1 : 0))
    .map(({ sk: _, ...message }) => message);
}

function dueForDeadLetter(config: QueueConfig, item: MessageItem): boolean {
  return (
    config.deadLetterQueue !== undefined &&
    config.maxReceiveCount !== undefined &&
    item.receiveCount >= config.maxReceiveCount
  );
}

/** A message as a receive leaves it: one receive further, hidden until `now + visibilityMs`, under `token`. */
function claimedItem(
  item: MessageItem,
  now: number,
  visibilityMs: number,
  token: string,
): MessageItem & { receiptToken: string } {
  return {
    ...item,
    version: item.version + 1,
    receiveCount: item.receiveCount + 1,
    visibleAt: now + visibilityMs,
    receiptToken: token,
    firstReceiveAt: item.firstReceiveAt ?? now,
  };
}

/**
 * The claim's update of one message: it writes `claimed` (claimedItem) if the message is still as
 * read (the version changes with every write) and visible at `now`.
 */
function claimUpdate(queues: QueueTable, item: MessageItem, claimed: MessageItem, now: number) {
  return {
    TableName: queues.table,
    Key: { pk: item.pk, sk: item.sk },
    ConditionExpression: 'version = :seen AND visibleAt <= :now',
    UpdateExpression:
      'SET version = :next, receiveCount = :count, visibleAt = :until, receiptToken = :token, firstReceiveAt = :first',
    ExpressionAttributeValues: {
      ':seen': item.version,
      ':now': now,
      ':next': claimed.version,
      ':count': claimed.receiveCount,
      ':until': claimed.visibleAt,
      ':token': claimed.receiptToken,
      ':first': claimed.firstReceiveAt,
    },
  };
}

/**
 * Claims every message of `items` in one transaction, or none: undefined when any changed since
 * it was read (another receiver claimed it, it was deleted), and the caller claims them one by one.
 * Each condition is the single claim's, so what the transaction wrote is what `claim` would have:
 * the message as read, one receive further.
 */
async function claimAll(
  queues: QueueTable,
  queueName: string,
  items: readonly MessageItem[],
  now: number,
  visibilityMs: number,
): Promise<Claimed[] | undefined> {
  if (items.length < 2) return undefined;
  const claims = items.map((item) => ({ item, claimed: claimedItem(item, now, visibilityMs, randomUUID()) }));
  try {
    await queues.db.send(
      new TransactWriteCommand({
        TransactItems: claims.map(({ item, claimed }) => ({
          Update: claimUpdate(queues, item, claimed, now),
        })),
      }),
    );
  } catch (error) {
    if (isTransactionCanceled(error)) return undefined;
    throw error;
  }
  return claims.map(({ claimed }) => toQueueMessage(queueName, claimed, claimed.receiptToken, now));
}

/** A message received maxReceiveCount times moves to the dead-letter queue on its next receive, as on SQS. */
async function deadLetter(
  queues: QueueTable,
  config: QueueConfig,
  item: MessageItem,
  now: number,
): Promise<undefined> {
  if (config.deadLetterQueue !== undefined)
    await move(queues, config.name, item, config.deadLetterQueue, now, 'deadLetter');
  return undefined;
}

/** Claims one visible message for this receive; undefined when another receiver was first. */
async function claim(
  queues: QueueTable,
  queueName: string,
  item: MessageItem,
  now: number,
  visibilityMs: number,
): Promise<Claimed | undefined> {
  const claimed = claimedItem(item, now, visibilityMs, randomUUID());
  try {
    await queues.db.send(new UpdateCommand(claimUpdate(queues, item, claimed, now)));
  } catch (error) {
    if (isConditionalCheckFailed(error)) return undefined;
    throw error;
  }
  return toQueueMessage(queueName, claimed, claimed.receiptToken, now);
}

/** A received message and its place in the queue, by which a receive returns them oldest first. */
type Claimed = QueueMessage & { sk: string };

function toQueueMessage(queueName: string, item: MessageItem, token: string, now: number): Claimed {
  return {
    sk: item.sk,
    messageId: item.messageId,
    receiptHandle: encodeReceiptHandle({ queueName, sk: item.sk, token }),
    body: item.body,
    md5OfBody: md5(item.body),
    attributes: {
      ApproximateReceiveCount: String(item.receiveCount),
      SentTimestamp: String(item.sentAt),
      ApproximateFirstReceiveTimestamp: String(item.firstReceiveAt ?? now),
      SenderId: LOCAL_SENDER_ID,
      ...(item.deadLetterSource ? { DeadLetterQueueSourceArn: localQueueArn(item.deadLetterSource) } : {}),
    },
  };
}

/**
 * Moves a visible message to another queue without transactions: hide it (which also voids its
 * receipt handles), copy it unless a copy from an interrupted move is there, then delete the original.
 * A crash in between leaves the original to reappear after the lease and move again, never a loss.
 */
async function move(
  queues: QueueTable,
  from: string,
  item: MessageItem,
  to: string,
  now: number,
  kind: 'deadLetter' | 'redrive',
): Promise<boolean> {
  if (!(await leaseForMove(queues, item, now))) return false;
  const { receiptToken: _token, firstReceiveAt, deadLetterSource: _source, ...rest } = item;
  const copy: MessageItem =
    kind === 'deadLetter'
      ? { ...rest, pk: queuePk(to), visibleAt: now, version: 0, firstReceiveAt, deadLetterSource: from }
      : // A redriven message starts over, or it would go straight back to the dead-letter queue.
        { ...rest, pk: queuePk(to), visibleAt: now, version: 0, receiveCount: 0 };
  await ignoringConditionFailure(
    queues.db.send(
      new PutCommand({
        TableName: queues.table,
        Item: copy,
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    ),
  );
  await ignoringConditionFailure(
    queues.db.send(
      new DeleteCommand({
        TableName: queues.table,
        Key: { pk: item.pk, sk: item.sk },
        ConditionExpression: 'version = :leased',
        ExpressionAttributeValues: { ':leased': item.version + 1 },
      }),
    ),
  );
  return true;
}

/** Hides a message for the move; false when it changed since it was read (another receiver acted). */
function leaseForMove(queues: QueueTable, item: MessageItem, now: number): Promise<boolean> {
  return updateIfUnchanged(queues, item, {
    ConditionExpression: 'version = :seen AND visibleAt <= :now',
    UpdateExpression: 'SET version = :next, visibleAt = :lease REMOVE receiptToken',
    ExpressionAttributeValues: {
      ':seen': item.version,
      ':next': item.version + 1,
      ':now': now,
      ':lease': now + MOVE_LEASE_MS,
    },
  });
}

/** The delete of one message, if `token` is still its latest receive's. */
function deleteRequest(queues: QueueTable, queueName: string, { sk, token }: { sk: string; token: string }) {
  return {
    TableName: queues.table,
    Key: { pk: queuePk(queueName), sk },
    ConditionExpression: 'receiptToken = :token',
    ExpressionAttributeValues: { ':token': token },
  };
}

async function deleteMessage(queues: QueueTable, queueName: string, receiptHandle: string): Promise<boolean> {
  configOf(queues.configs, queueName);
  const handle = decodeReceiptHandle(queueName, receiptHandle);
  try {
    await queues.db.send(new DeleteCommand(deleteRequest(queues, queueName, handle)));
    return true;
  } catch (error) {
    if (isConditionalCheckFailed(error)) return false;
    throw error;
  }
}

async function deleteMessages(
  queues: QueueTable,
  queueName: string,
  receiptHandles: readonly string[],
): Promise<boolean[]> {
  configOf(queues.configs, queueName);
  const decoded = receiptHandles.map((handle) => decodeReceiptHandle(queueName, handle));
  // A transaction may not touch one message twice: two handles of one message go one by one.
  if (decoded.length > 1 && new Set(decoded.map(({ sk }) => sk)).size === decoded.length) {
    try {
      await queues.db.send(
        new TransactWriteCommand({
          TransactItems: decoded.map((handle) => ({ Delete: deleteRequest(queues, queueName, handle) })),
        }),
      );
      return decoded.map(() => true);
    } catch (error) {
      // A stale handle or a message gone: which ones, the single deletes tell.
      if (!isTransactionCanceled(error)) throw error;
    }
  }
  return Promise.all(receiptHandles.map((handle) => deleteMessage(queues, queueName, handle)));
}

async function changeVisibility(
  queues: QueueTable,
  queueName: string,
  receiptHandle: string,
  visibilityTimeoutSeconds: number,
): Promise<boolean> {
  configOf(queues.configs, queueName);
  checkInteger('visibilityTimeoutSeconds', visibilityTimeoutSeconds, 0, MAX_VISIBILITY_SECONDS);
  const { sk, token } = decodeReceiptHandle(queueName, receiptHandle);
  const now = queues.clock.now();
  try {
    await queues.db.send(
      new UpdateCommand({
        TableName: queues.table,
        Key: { pk: queuePk(queueName), sk },
        // The handle stays valid, as on SQS, until the message is received again.
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
    if (isConditionalCheckFailed(error)) return false;
    throw error;
  }
  if (visibilityTimeoutSeconds === 0) announce(queues, queueName);
  return true;
}

async function listMessages(queues: QueueTable, queueName: string): Promise<QueueMessageSummary[]> {
  configOf(queues.configs, queueName);
  const now = queues.clock.now();
  const items = await queryAll(queues, queueName, undefined);
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
}

async function redrive(queues: QueueTable, deadLetterQueueName: string): Promise<number> {
  configOf(queues.configs, deadLetterQueueName);
  const now = queues.clock.now();
  let moved = 0;
  for (const item of await queryAll(queues, deadLetterQueueName, now)) {
    const to = item.deadLetterSource;
    if (to === undefined) {
      throw new InvalidParameterValueError(
        `Message ${item.messageId} on "${deadLetterQueueName}" was not dead-lettered from a known queue`,
      );
    }
    configOf(queues.configs, to);
    if (await move(queues, deadLetterQueueName, item, to, now, 'redrive')) {
      moved += 1;
      announce(queues, to);
    }
  }
  return moved;
}

async function releaseInFlight(queues: QueueTable, queueName: string): Promise<number> {
  configOf(queues.configs, queueName);
  const now = queues.clock.now();
  let released = 0;
  for (const item of await queryAll(queues, queueName, undefined)) {
    if (stateOf(item, now) !== 'inFlight') continue;
    // False when it was deleted or received again meanwhile: nothing to release.
    const changed = await updateIfUnchanged(queues, item, {
      ConditionExpression: 'version = :version',
      UpdateExpression: 'SET visibleAt = :now, version = version + :one',
      ExpressionAttributeValues: { ':version': item.version, ':now': now, ':one': 1 },
    });
    if (changed) released += 1;
  }
  if (released > 0) announce(queues, queueName);
  return released;
}

/** The messages of a queue, oldest first; with `visibleBefore`, only those visible then. */
async function queryAll(
  queues: QueueTable,
  queueName: string,
  visibleBefore: number | undefined,
  limit = Number.POSITIVE_INFINITY,
  pageSize?: number,
): Promise<MessageItem[]> {
  const items: MessageItem[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await queues.db.send(
      new QueryCommand({
        TableName: queues.table,
        KeyConditionExpression: 'pk = :pk',
        ...(visibleBefore === undefined
          ? { ExpressionAttributeValues: { ':pk': queuePk(queueName) } }
          : {
              FilterExpression: 'visibleAt <= :now',
              ExpressionAttributeValues: { ':pk': queuePk(queueName), ':now': visibleBefore },
            }),
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
        ...(pageSize === undefined ? {} : { Limit: pageSize }),
      }),
    );
    items.push(...((page.Items ?? []) as MessageItem[]));
    startKey = page.LastEvaluatedKey;
  } while (startKey && items.length < limit);
  return items;
}

// Without delays, a hidden message is one received (or being moved between queues).
const stateOf = (item: MessageItem, now: number): QueueMessageState =>
  item.visibleAt <= now ? 'visible' : 'inFlight';

/** An update of `item` on a condition; false when the condition failed. */
async function updateIfUnchanged(
  queues: QueueTable,
  item: MessageItem,
  update: Omit<UpdateCommandInput, 'TableName' | 'Key'>,
): Promise<boolean> {
  try {
    await queues.db.send(
      new UpdateCommand({ TableName: queues.table, Key: { pk: item.pk, sk: item.sk }, ...update }),
    );
    return true;
  } catch (error) {
    if (isConditionalCheckFailed(error)) return false;
    throw error;
  }
}

async function ignoringConditionFailure(write: Promise<unknown>): Promise<void> {
  try {
    await write;
  } catch (error) {
    if (!isConditionalCheckFailed(error)) throw error;
  }
}
