import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../../core/errors.ts';
import {
  type ScheduleFire,
  ScheduleFireSchema,
  SchedulerCursorSchema,
  type SchedulerCursors,
  type ScheduleState,
  type ScheduleStore,
  WEBHOOK_EVENT_TTL_DAYS,
  type WebhookEvent,
  WebhookEventSchema,
  type WebhookEvents,
} from '../../core/ports/triggers.ts';

/*
 * Triggers in the state table:
 *   a schedule's state             pk SCHEDULE#<playbook>   sk STATE           (paused, last fire)
 *   one fire of it                 pk SCHEDULE#<playbook>   sk FIRE#<time>     (the fire as JSON, TTL)
 *   the local scheduler's cursor   pk SCHEDULE#<playbook>   sk LOCAL-CURSOR    (only locally)
 *   a webhook event taken          pk HOOK#<playbook>       sk EVENT#<id>      (its run, TTL)
 * `expiresAt` (epoch seconds) is the table's TTL attribute; TTL deletes lazily, and nothing here
 * needs an expired item gone: a fire's run id is derived, so it can only be found again.
 */
const FIRE_RETENTION_DAYS = 90;
const DAY_SECONDS = 86_400;

const schedulePk = (playbook: string) => `SCHEDULE#${playbook}`;
const epochSeconds = (iso: string) => Math.floor(new Date(iso).getTime() / 1000);

function documentClient(client: DynamoDBClient) {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** Runs a conditional write; false when the condition failed. */
async function conditionally(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

export function createDynamoDBScheduleStore(options: {
  client: DynamoDBClient;
  tableName: string;
}): ScheduleStore {
  const doc = documentClient(options.client);
  const TableName = options.tableName;
  const stateKey = (playbook: string) => ({ pk: schedulePk(playbook), sk: 'STATE' });
  const fireKey = (playbook: string, scheduledAt: string) => ({
    pk: schedulePk(playbook),
    sk: `FIRE#${scheduledAt}`,
  });

  function stateOf(playbook: string, item: Record<string, unknown> | undefined): ScheduleState {
    return {
      playbook,
      paused: item?.paused === true,
      ...(typeof item?.changedAt === 'string' ? { changedAt: item.changedAt } : {}),
      ...(typeof item?.lastFire === 'string'
        ? { lastFire: ScheduleFireSchema.parse(JSON.parse(item.lastFire)) }
        : {}),
    };
  }

  async function getFire(playbook: string, scheduledAt: string): Promise<ScheduleFire | undefined> {
    const { Item } = await doc.send(
      new GetCommand({ TableName, Key: fireKey(playbook, scheduledAt), ConsistentRead: true }),
    );
    return Item ? ScheduleFireSchema.parse(JSON.parse(Item.fire as string)) : undefined;
  }

  const fireItem = (fire: ScheduleFire) => ({
    ...fireKey(fire.playbook, fire.scheduledAt),
    fire: JSON.stringify(fire),
    expiresAt: epochSeconds(fire.scheduledAt) + FIRE_RETENTION_DAYS * DAY_SECONDS,
  });

  return {
    getFire,
    async state(playbook) {
      const { Item } = await doc.send(
        new GetCommand({ TableName, Key: stateKey(playbook), ConsistentRead: true }),
      );
      return stateOf(playbook, Item);
    },
    async setPaused(playbook, paused, at) {
      const { Attributes } = await doc.send(
        new UpdateCommand({
          TableName,
          Key: stateKey(playbook),
          UpdateExpression: 'SET paused = :paused, changedAt = :at',
          ExpressionAttributeValues: { ':paused': paused, ':at': at.toISOString() },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return stateOf(playbook, Attributes);
    },
    async recordFire(fire) {
      const created = await conditionally(() =>
        doc.send(
          new PutCommand({
            TableName,
            Item: fireItem(fire),
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
      if (created) return { fire, created };
      const held = await getFire(fire.playbook, fire.scheduledAt);
      if (!held)
        throw new ConflictError(`the fire of ${fire.playbook} at ${fire.scheduledAt} changed while read`);
      return { fire: held, created: false };
    },
    async settleFire(fire) {
      await doc.send(new PutCommand({ TableName, Item: fireItem(fire) }));
      // Deliveries may settle out of order: the last fire is the latest scheduled, not the latest settled.
      await conditionally(() =>
        doc.send(
          new UpdateCommand({
            TableName,
            Key: stateKey(fire.playbook),
            UpdateExpression: 'SET lastFire = :fire, lastFireAt = :at',
            ConditionExpression: 'attribute_not_exists(lastFireAt) OR lastFireAt <= :at',
            ExpressionAttributeValues: { ':fire': JSON.stringify(fire), ':at': fire.scheduledAt },
          }),
        ),
      );
    },
  };
}

export function createDynamoDBSchedulerCursors(options: {
  client: DynamoDBClient;
  tableName: string;
}): SchedulerCursors {
  const doc = documentClient(options.client);
  const TableName = options.tableName;
  const Key = (playbook: string) => ({ pk: schedulePk(playbook), sk: 'LOCAL-CURSOR' });
  return {
    async get(playbook) {
      const { Item } = await doc.send(
        new GetCommand({ TableName, Key: Key(playbook), ConsistentRead: true }),
      );
      return Item ? SchedulerCursorSchema.parse(JSON.parse(Item.cursor as string)) : undefined;
    },
    async put(playbook, cursor, expectedThrough) {
      const written = await conditionally(() =>
        doc.send(
          new PutCommand({
            TableName,
            Item: { ...Key(playbook), through: cursor.through, cursor: JSON.stringify(cursor) },
            ...(expectedThrough === undefined
              ? { ConditionExpression: 'attribute_not_exists(pk)' }
              : {
                  ConditionExpression: 'through = :expected',
                  ExpressionAttributeValues: { ':expected': expectedThrough },
                }),
          }),
        ),
      );
      if (!written) throw new ConflictError(`the scheduler cursor of ${playbook} moved meanwhile`);
    },
  };
}

export function createDynamoDBWebhookEvents(options: {
  client: DynamoDBClient;
  tableName: string;
}): WebhookEvents {
  const doc = documentClient(options.client);
  const TableName = options.tableName;
  const Key = (event: Pick<WebhookEvent, 'playbook' | 'eventId'>) => ({
    pk: `HOOK#${event.playbook}`,
    sk: `EVENT#${event.eventId}`,
  });
  return {
    async claim(event) {
      const created = await conditionally(() =>
        doc.send(
          new PutCommand({
            TableName,
            Item: {
              ...Key(event),
              event: JSON.stringify(event),
              expiresAt: epochSeconds(event.receivedAt) + WEBHOOK_EVENT_TTL_DAYS * DAY_SECONDS,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
      if (created) return { event, created };
      const { Item } = await doc.send(new GetCommand({ TableName, Key: Key(event), ConsistentRead: true }));
      if (!Item) throw new ConflictError(`webhook event ${event.eventId} changed while read`);
      return { event: WebhookEventSchema.parse(JSON.parse(Item.event as string)), created: false };
    },
  };
}
