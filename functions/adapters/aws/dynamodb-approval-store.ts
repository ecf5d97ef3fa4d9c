import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { type Approval, type ApprovalEvent, ApprovalSchema } from '../../core/approvals/approval.ts';
import type { ApprovalStore } from '../../core/approvals/service.ts';
import { ConflictError } from '../../core/errors.ts';
import { documentClient, putNewInboxRecord, queryGsi1, readItem } from './dynamodb-records.ts';

/*
 * Approvals in the state table:
 *   one approval          pk APPROVAL#<id>   sk APPROVAL
 *   the pending inbox     gsi1pk APPROVALS#PENDING     gsi1sk <createdAt>#<id>   (while PENDING)
 *   not yet finished      gsi1pk APPROVALS#UNANSWERED  gsi1sk <settledAt>#<id>   (settled; run not yet answered or settlement not yet logged)
 * `record` is the request as first written (JSON); what happens later lives in attributes of its own,
 * so that no write rewrites another's: `events` (history appended with list_append), `status`,
 * `decision`, `action`, `settledAt`, `slackMessage`, `escalationState`, `answeredAt`, `loggedAt`. Only a
 * settlement is conditional on the status; nothing else can make a decision fail, or fail on one.
 * Records written before this layout carry everything in `record`; the attributes override it.
 * The task token is an attribute beside the record, never part of what the store hands out.
 */
const PENDING_INBOX = 'APPROVALS#PENDING';
const UNANSWERED = 'APPROVALS#UNANSWERED';

export function createDynamoDBApprovalStore(options: {
  client: DynamoDBClient;
  tableName: string;
}): ApprovalStore {
  const doc = documentClient(options.client);
  const TableName = options.tableName;
  const key = (id: string) => ({ pk: `APPROVAL#${id}`, sk: 'APPROVAL' });

  const read = (id: string) => readItem(doc, TableName, key(id));

  /** An update that returns the record as written; a failed condition becomes a ConflictError. */
  async function update(
    id: string,
    input: Omit<UpdateCommandInput, 'TableName' | 'Key' | 'ReturnValues'>,
    conflict = `approval ${id} changed meanwhile`,
  ): Promise<Approval> {
    try {
      const { Attributes } = await doc.send(
        new UpdateCommand({ TableName, Key: key(id), ReturnValues: 'ALL_NEW', ...input }),
      );
      return parse(Attributes as Record<string, unknown>);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new ConflictError(conflict, { cause: error });
      throw error;
    }
  }

  const appendEvent = {
    expression: '#events = list_append(if_not_exists(#events, :none), :event)',
    names: { '#events': 'events' },
    values: (event: ApprovalEvent) => ({ ':none': [], ':event': [JSON.stringify(event)] }),
  };

  return {
    async create(approval, taskToken) {
      const created = await putNewInboxRecord(doc, TableName, {
        key: key(approval.approvalId),
        inbox: PENDING_INBOX,
        id: approval.approvalId,
        createdAt: approval.createdAt,
        status: approval.status,
        taskToken,
        body: approval,
      });
      if (created) return approval;
      // A retried request: keep the record, answer the newest token (Step Functions issued a new one).
      const id = approval.approvalId;
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const existing = await read(id);
        if (!existing) throw new ConflictError(`approval ${id} vanished while being created`);
        if (existing.taskToken === taskToken) return parse(existing);
        try {
          return await (existing.status === 'PENDING'
            ? update(id, {
                UpdateExpression: 'SET taskToken = :token',
                ConditionExpression: '#status = :pending',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: { ':token': taskToken, ':pending': 'PENDING' },
              })
            : // Settled already, and the run waits on a new token: it needs the answer again.
              update(id, {
                UpdateExpression:
                  'SET taskToken = :token, gsi1pk = :unanswered, gsi1sk = :sk REMOVE answeredAt',
                ConditionExpression: '#status = :status AND taskToken = :previous',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: {
                  ':token': taskToken,
                  ':status': existing.status,
                  ':previous': existing.taskToken,
                  ':unanswered': UNANSWERED,
                  ':sk': `${settledAtOf(existing)}#${id}`,
                },
              }));
        } catch (error) {
          if (!(error instanceof ConflictError)) throw error; // changed meanwhile: look again
        }
      }
      throw new ConflictError(`approval ${id} kept changing while its request was retried`);
    },

    async get(id) {
      const item = await read(id);
      return item ? parse(item) : undefined;
    },

    async taskToken(id) {
      const item = await read(id);
      return typeof item?.taskToken === 'string' ? item.taskToken : undefined;
    },

    recordEvent(id, event, extra = {}) {
      return update(
        id,
        {
          UpdateExpression: `SET ${appendEvent.expression}${extra.slackMessage ? ', slackMessage = :slack' : ''}`,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: appendEvent.names,
          ExpressionAttributeValues: {
            ...appendEvent.values(event),
            ...(extra.slackMessage ? { ':slack': JSON.stringify(extra.slackMessage) } : {}),
          },
        },
        `approval ${id} does not exist`,
      );
    },

    advanceEscalation(id, escalation, event) {
      return update(
        id,
        {
          UpdateExpression: `SET escalationState = :escalation, escalationStage = :stage, ${appendEvent.expression}`,
          // Stages only go forward: of two overlapping escalation passes, one records the step.
          ConditionExpression:
            '#status = :pending AND (attribute_not_exists(escalationStage) OR escalationStage < :stage)',
          ExpressionAttributeNames: { ...appendEvent.names, '#status': 'status' },
          ExpressionAttributeValues: {
            ...appendEvent.values(event),
            ':escalation': JSON.stringify(escalation),
            ':stage': escalation.escalationStage,
            ':pending': 'PENDING',
          },
        },
        `approval ${id} is no longer pending, or already past stage ${escalation.escalationStage}`,
      );
    },

    settle(id, settlement) {
      const sets = [
        '#status = :status',
        'settledAt = :at',
        'gsi1pk = :unanswered',
        'gsi1sk = :sk',
        appendEvent.expression,
        ...(settlement.decision ? ['decision = :decision'] : []),
        ...(settlement.action ? ['#action = :action'] : []),
      ];
      return update(
        id,
        {
          UpdateExpression: `SET ${sets.join(', ')}`,
          // First decision wins. The status is the only condition: a history append, a
          // notification or an escalation step can never make a decision fail.
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: {
            ...appendEvent.names,
            '#status': 'status',
            ...(settlement.action ? { '#action': 'action' } : {}),
          },
          ExpressionAttributeValues: {
            ...appendEvent.values(settlement.event),
            ':status': settlement.status,
            ':pending': 'PENDING',
            ':at': settlement.at,
            ':unanswered': UNANSWERED,
            ':sk': `${settlement.at}#${id}`,
            ...(settlement.decision ? { ':decision': JSON.stringify(settlement.decision) } : {}),
            ...(settlement.action ? { ':action': JSON.stringify(settlement.action) } : {}),
          },
        },
        `approval ${id} is no longer pending`,
      );
    },

    async markAnswered(id, taskToken, at) {
      const answered = await update(
        id,
        {
          UpdateExpression: 'SET answeredAt = :at',
          // Only for the token that was answered: a retried request may have brought a newer one.
          ConditionExpression:
            taskToken === undefined ? 'attribute_not_exists(taskToken)' : 'taskToken = :token',
          ExpressionAttributeValues: {
            ':at': at,
            ...(taskToken === undefined ? {} : { ':token': taskToken }),
          },
        },
        `approval ${id} has a newer task token`,
      );
      if (answered.loggedAt) await retire(id);
    },

    async markLogged(id, at) {
      const logged = await update(
        id,
        {
          UpdateExpression: 'SET loggedAt = if_not_exists(loggedAt, :at)',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':at': at },
        },
        `approval ${id} does not exist`,
      );
      if (logged.answeredAt) await retire(id);
    },

    async listPending() {
      // The index holds copies: behind their item on AWS (GSIs are eventually consistent), and
      // locally a kill mid-write once left copies of records since decided or created again. The
      // inbox and escalation act on what they list, so each approval is read from its item.
      const listed = await queryIndex(PENDING_INBOX);
      const ids = new Set(listed.map((item) => String(item.pk).slice('APPROVAL#'.length)));
      const current = await readAll([...ids]);
      return current.filter((a) => a.status === 'PENDING');
    },

    async listUnanswered(settledBefore) {
      // The copy is enough here: answerSettled reads the item before it answers anything.
      return (await queryIndex(UNANSWERED, settledBefore))
        .map(parse)
        .filter((a) => a.status !== 'PENDING' && (a.answeredAt === undefined || a.loggedAt === undefined));
    },
  };

  /**
   * Answered and logged: off the recovery index. Conditional on both, so a retried request that
   * brought a new token (and put the record back on the index) meanwhile keeps it there.
   */
  async function retire(id: string): Promise<void> {
    try {
      await update(id, {
        UpdateExpression: 'REMOVE gsi1pk, gsi1sk',
        ConditionExpression: 'attribute_exists(answeredAt) AND attribute_exists(loggedAt)',
      });
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }

  /** The approvals with these ids, read strongly, in the order given; missing ones are left out. */
  async function readAll(ids: string[]): Promise<Approval[]> {
    const found = new Map<string, Record<string, unknown>>();
    for (let start = 0; start < ids.length; start += 100) {
      let keys: Record<string, unknown>[] | undefined = ids.slice(start, start + 100).map(key);
      while (keys && keys.length > 0) {
        const page: BatchGetCommandOutput = await doc.send(
          new BatchGetCommand({ RequestItems: { [TableName]: { Keys: keys, ConsistentRead: true } } }),
        );
        for (const item of page.Responses?.[TableName] ?? []) found.set(String(item.pk), item);
        keys = page.UnprocessedKeys?.[TableName]?.Keys;
      }
    }
    return ids.flatMap((id) => {
      const item = found.get(key(id).pk);
      return item ? [parse(item)] : [];
    });
  }

  function queryIndex(partition: string, before?: string) {
    return queryGsi1(doc, TableName, partition, before);
  }
}

/** When the record was settled; records from before `settledAt` existed fall back to the decision. */
function settledAtOf(item: Record<string, unknown>): string {
  if (typeof item.settledAt === 'string') return item.settledAt;
  const approval = parse(item);
  return approval.decision?.at ?? approval.history.at(-1)?.at ?? approval.createdAt;
}

const json = (value: unknown) => (typeof value === 'string' ? (JSON.parse(value) as unknown) : undefined);

/** The request as written, with everything that happened since laid over it. */
function parse(item: Record<string, unknown>): Approval {
  const base = JSON.parse(item.record as string) as Approval;
  const escalation = json(item.escalationState) as
    | { escalationStage: number; nextEscalationAt?: string }
    | undefined;
  const events = Array.isArray(item.events) ? item.events.map((e) => json(e) as ApprovalEvent) : [];
  const status = (item.status as Approval['status'] | undefined) ?? base.status;
  return ApprovalSchema.parse({
    ...base,
    status,
    history: [...base.history, ...events],
    ...(item.decision ? { decision: json(item.decision) } : {}),
    ...(item.action ? { action: json(item.action) } : {}),
    ...(item.slackMessage ? { slackMessage: json(item.slackMessage) } : {}),
    ...(escalation
      ? { escalationStage: escalation.escalationStage, nextEscalationAt: escalation.nextEscalationAt }
      : {}),
    // Escalation looks only at pending requests; a settled one has nothing next.
    ...(status === 'PENDING' ? {} : { nextEscalationAt: undefined }),
    ...(typeof item.answeredAt === 'string' ? { answeredAt: item.answeredAt } : {}),
    ...(typeof item.loggedAt === 'string' ? { loggedAt: item.loggedAt } : {}),
  });
}
