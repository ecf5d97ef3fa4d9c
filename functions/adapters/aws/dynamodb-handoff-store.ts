import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Handoff, HandoffSchema } from '../../core/agents/handoff.ts';
import { ConflictError } from '../../core/errors.ts';
import type { HandoffStore } from '../../core/ports.ts';
import { documentClient, putNewInboxRecord, queryGsi1, readItem } from './dynamodb-records.ts';

/*
 * Handoffs in the state table:
 *   one handoff          pk HANDOFF#<id>   sk HANDOFF
 *   the inbox            gsi1pk HANDOFFS#PENDING      gsi1sk <createdAt>#<id>   (while PENDING)
 *   runs still waiting   gsi1pk HANDOFFS#UNANSWERED   gsi1sk <completedAt>#<id> (completed, run not yet told)
 * `record` is the item as first written (JSON); `status` and `completion` are attributes of their
 * own, so the completion (the one conditional write) never rewrites the record. The task token is
 * an attribute beside the record, never part of what the store hands out.
 */
const PENDING_INBOX = 'HANDOFFS#PENDING';
const UNANSWERED = 'HANDOFFS#UNANSWERED';

export function createDynamoDBHandoffStore(options: {
  client: DynamoDBClient;
  tableName: string;
}): HandoffStore {
  const doc = documentClient(options.client);
  const TableName = options.tableName;
  const key = (id: string) => ({ pk: `HANDOFF#${id}`, sk: 'HANDOFF' });

  const read = (id: string) => readItem(doc, TableName, key(id));

  const queryIndex = (partition: string) => queryGsi1(doc, TableName, partition);

  /** The index holds copies that may lag their item: each listed handoff is read from its item. */
  async function listed(partition: string): Promise<Handoff[]> {
    const ids = [...new Set((await queryIndex(partition)).map((i) => String(i.pk).slice('HANDOFF#'.length)))];
    const items = await Promise.all(ids.map(read));
    return items.flatMap((item) => (item ? [parse(item)] : []));
  }

  return {
    async create(handoff, taskToken) {
      const created = await putNewInboxRecord(doc, TableName, {
        key: key(handoff.handoffId),
        inbox: PENDING_INBOX,
        id: handoff.handoffId,
        createdAt: handoff.createdAt,
        status: handoff.status,
        taskToken,
        body: handoff,
      });
      if (created) return handoff;
      // A retried task: keep the record and its completion, answer the newest token.
      const { Attributes } = await doc.send(
        new UpdateCommand({
          TableName,
          Key: key(handoff.handoffId),
          UpdateExpression: 'SET taskToken = :token',
          ReturnValues: 'ALL_NEW',
          ExpressionAttributeValues: { ':token': taskToken },
        }),
      );
      return parse(Attributes as Record<string, unknown>);
    },

    async get(id) {
      const item = await read(id);
      return item ? parse(item) : undefined;
    },

    async taskToken(id) {
      const item = await read(id);
      return typeof item?.taskToken === 'string' ? item.taskToken : undefined;
    },

    async complete(id, completion) {
      try {
        const { Attributes } = await doc.send(
          new UpdateCommand({
            TableName,
            Key: key(id),
            UpdateExpression:
              'SET #status = :completed, completion = :completion, gsi1pk = :unanswered, gsi1sk = :sk',
            ConditionExpression: '#status = :pending',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':completed': 'COMPLETED',
              ':pending': 'PENDING',
              ':completion': JSON.stringify(completion),
              ':unanswered': UNANSWERED,
              ':sk': `${completion.at}#${id}`,
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return parse(Attributes as Record<string, unknown>);
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException)
          throw new ConflictError(`handoff ${id} is not pending (completed already, or never opened)`, {
            cause: error,
          });
        throw error;
      }
    },

    async withdraw(id, at) {
      try {
        const { Attributes } = await doc.send(
          new UpdateCommand({
            TableName,
            Key: key(id),
            UpdateExpression: 'SET #status = :withdrawn, withdrawnAt = :at REMOVE gsi1pk, gsi1sk',
            ConditionExpression: '#status = :pending',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':withdrawn': 'WITHDRAWN', ':pending': 'PENDING', ':at': at },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return parse(Attributes as Record<string, unknown>);
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException)
          throw new ConflictError(`handoff ${id} is not pending`, { cause: error });
        throw error;
      }
    },

    async markAnswered(id, at) {
      await doc.send(
        new UpdateCommand({
          TableName,
          Key: key(id),
          UpdateExpression: 'SET answeredAt = :at REMOVE gsi1pk, gsi1sk',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':at': at },
        }),
      );
    },

    async listPending() {
      return (await listed(PENDING_INBOX)).filter((h) => h.status === 'PENDING');
    },

    async listUnanswered() {
      return (await listed(UNANSWERED)).filter((h) => h.status === 'COMPLETED');
    },
  };
}

/** The item as written, with its status and completion laid over it. */
function parse(item: Record<string, unknown>): Handoff {
  const base = JSON.parse(item.record as string) as Handoff;
  return HandoffSchema.parse({
    ...base,
    status: item.status ?? base.status,
    ...(typeof item.completion === 'string' ? { completion: JSON.parse(item.completion) } : {}),
  });
}
