import { randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../../core/errors.ts';
import type { StateStore } from '../../core/ports.ts';
import {
  AuditEntrySchema,
  type Entity,
  EntitySchema,
  type Intent,
  IntentSchema,
  JournalEntrySchema,
  PlanSchema,
  type Run,
  RunSchema,
  RunStatusSchema,
} from '../../core/schemas.ts';

export interface DynamoDBStateStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** How long run records, intents and the journal are kept; DynamoDB TTL deletes them after. */
  retentionDays?: number;
  now?: () => Date;
}

/*
 * One table, keyed for its access patterns:
 *   run by id                 pk RUN#<id>             sk RUN
 *   runs by status and time   gsi1pk RUNS#<status>    gsi1sk <createdAt>#<id>
 *   a run's plan              pk RUN#<id>             sk PLAN
 *   a run's intents, in order pk RUN#<id>             sk INTENT#<0000 step>
 *   a run's journal, in order pk RUN#<id>             sk JOURNAL#<at>#<seq>
 *   a run's audit log         pk RUN#<id>             sk AUDIT#<at>#<seq>
 *   an entity, latest         pk ENTITY#<type>#<id>   sk LATEST
 *   an entity, every version  pk ENTITY#<type>#<id>   sk V#<0000000000 version>
 * Run-scoped items carry `expiresAt` (epoch seconds) for TTL; TTL deletes lazily, so reads filter too.
 */
const runKey = (runId: string) => ({ pk: `RUN#${runId}`, sk: 'RUN' });
const planKey = (runId: string) => ({ pk: `RUN#${runId}`, sk: 'PLAN' });
const intentKey = (runId: string, stepIndex: number) => ({
  pk: `RUN#${runId}`,
  sk: `INTENT#${String(stepIndex).padStart(4, '0')}`,
});
const entityPk = (type: string, id: string) => `ENTITY#${type}#${id}`;
const KEY_ATTRIBUTES = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'expiresAt', 'entityKind'];
const RUN_STATUSES = RunStatusSchema.options;

let journalSeq = 0;

/**
 * One copy per run, the newest. Without a status filter each status is queried on its own, and a
 * run that changes status between two of those queries (or whose old entry the index still holds:
 * GSIs are eventually consistent) comes back twice. Equal times go by the order of the lifecycle.
 */
export function newestPerRun(runs: readonly Run[]): Run[] {
  const newest = new Map<string, Run>();
  const later = (a: Run, b: Run) =>
    a.updatedAt !== b.updatedAt
      ? a.updatedAt > b.updatedAt
      : RUN_STATUSES.indexOf(a.status) > RUN_STATUSES.indexOf(b.status);
  for (const run of runs) {
    const seen = newest.get(run.runId);
    if (!seen || later(run, seen)) newest.set(run.runId, run);
  }
  return [...newest.values()];
}

/**
 * gsi1sk is `<createdAt>#<runId>`, so a time bound is a key condition, not a filter: a run created
 * at `since` sorts after the bare time, one created at `before` after it too (and is left out).
 */
function createdKeyCondition(query: { createdBefore?: string; createdSince?: string }): string {
  if (query.createdBefore && query.createdSince) return 'gsi1pk = :pk AND gsi1sk BETWEEN :since AND :before';
  if (query.createdBefore) return 'gsi1pk = :pk AND gsi1sk < :before';
  if (query.createdSince) return 'gsi1pk = :pk AND gsi1sk >= :since';
  return 'gsi1pk = :pk';
}

export function createDynamoDBStateStore(options: DynamoDBStateStoreOptions): StateStore {
  const doc = DynamoDBDocumentClient.from(options.client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  const TableName = options.tableName;
  const now = options.now ?? (() => new Date());
  const retentionSeconds = (options.retentionDays ?? 400) * 86_400;
  const expiresAt = () => Math.floor(now().getTime() / 1000) + retentionSeconds;
  const live = (item: Record<string, unknown> | undefined) =>
    item !== undefined && !(typeof item.expiresAt === 'number' && item.expiresAt * 1000 < now().getTime());

  const strip = (item: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(item).filter(([k]) => !KEY_ATTRIBUTES.includes(k)));

  async function get(key: { pk: string; sk: string }) {
    const { Item } = await doc.send(new GetCommand({ TableName, Key: key, ConsistentRead: true }));
    return live(Item) ? (Item as Record<string, unknown>) : undefined;
  }

  async function queryAll(input: Omit<QueryCommandInput, 'TableName'>) {
    const items: Record<string, unknown>[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await doc.send(new QueryCommand({ TableName, ...input, ExclusiveStartKey }));
      items.push(...((page.Items ?? []) as Record<string, unknown>[]).filter(live));
      ExclusiveStartKey = page.LastEvaluatedKey;
      if (input.Limit && items.length >= input.Limit) break;
    } while (ExclusiveStartKey);
    return items;
  }

  /** A conditional write that lost becomes a ConflictError the domain understands. */
  async function conditional<T>(what: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (
        error instanceof ConditionalCheckFailedException ||
        (error as Error).name === 'ConditionalCheckFailedException'
      ) {
        throw new ConflictError(what, { cause: error });
      }
      throw error;
    }
  }

  /** SET every defined field of the patch, REMOVE the ones set to undefined, on a status condition. */
  async function updateWithStatus(
    key: { pk: string; sk: string },
    from: readonly string[],
    patch: Record<string, unknown>,
    extraSet: Record<string, unknown>,
    what: string,
    leaseOwner?: string,
  ): Promise<Record<string, unknown>> {
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = leaseOwner === undefined ? {} : { ':owner': leaseOwner };
    const sets: string[] = [];
    const removes: string[] = [];
    Object.entries({ ...patch, ...extraSet }).forEach(([field, value], i) => {
      names[`#f${i}`] = field;
      if (value === undefined) removes.push(`#f${i}`);
      else {
        values[`:v${i}`] = value;
        sets.push(`#f${i} = :v${i}`);
      }
    });
    from.forEach((status, i) => {
      values[`:from${i}`] = status;
    });
    const expression = [
      sets.length ? `SET ${sets.join(', ')}` : '',
      removes.length ? `REMOVE ${removes.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    const { Attributes } = await conditional(what, () =>
      doc.send(
        new UpdateCommand({
          TableName,
          Key: key,
          UpdateExpression: expression,
          ConditionExpression: `attribute_exists(pk) AND #status IN (${from.map((_, i) => `:from${i}`).join(', ')})${
            leaseOwner === undefined ? '' : ' AND leaseOwner = :owner'
          }`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return Attributes as Record<string, unknown>;
  }

  /** The journal and the audit log: append-only, in time order, kept as long as the run. */
  async function appendRunLog(kind: 'JOURNAL' | 'AUDIT', entry: { runId: string; at: string }) {
    journalSeq = (journalSeq + 1) % 1_000_000;
    const seq = `${String(journalSeq).padStart(6, '0')}${randomBytes(3).toString('hex')}`;
    await doc.send(
      new PutCommand({
        TableName,
        Item: {
          pk: `RUN#${entry.runId}`,
          sk: `${kind}#${entry.at}#${seq}`,
          expiresAt: expiresAt(),
          ...entry,
        },
      }),
    );
  }

  async function listRunLog(runId: string, kind: 'JOURNAL' | 'AUDIT') {
    const items = await queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': `RUN#${runId}`, ':prefix': `${kind}#` },
      ConsistentRead: true,
    });
    return items.map(strip);
  }

  return {
    async createRun(run) {
      await conditional(`run ${run.runId} already exists`, () =>
        doc.send(
          new PutCommand({
            TableName,
            Item: {
              ...runKey(run.runId),
              gsi1pk: `RUNS#${run.status}`,
              gsi1sk: `${run.createdAt}#${run.runId}`,
              expiresAt: expiresAt(),
              ...run,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
    },

    async getRun(runId) {
      const item = await get(runKey(runId));
      return item ? RunSchema.parse(strip(item)) : undefined;
    },

    async updateRun(runId, from, patch) {
      const current = await this.getRun(runId);
      const extra: Record<string, unknown> = {};
      if (patch.status && current) {
        extra.gsi1pk = `RUNS#${patch.status}`;
        extra.gsi1sk = `${current.createdAt}#${runId}`;
      }
      const item = await updateWithStatus(
        runKey(runId),
        from,
        patch,
        extra,
        `run ${runId} is not in status ${from.join(' or ')}`,
      );
      return RunSchema.parse(strip(item));
    },

    async listRuns(query = {}) {
      const limit = query.limit ?? 50;
      // An empty window: DynamoDB refuses a BETWEEN whose bounds are the wrong way round.
      if (query.createdSince && query.createdBefore && query.createdSince >= query.createdBefore) return [];
      const statuses = query.status ? [query.status] : RUN_STATUSES;
      // One status at a time, in the order of the lifecycle (QUEUED, RUNNING, then the terminal
      // ones, which a run never leaves): a run that moves on while we list is met again in a later
      // query. Queried all at once, a run leaving QUEUED just after the RUNNING query ran and just
      // before the QUEUED one was in neither answer, and GET /runs did not list it.
      const pages: Record<string, unknown>[][] = [];
      for (const status of statuses) {
        pages.push(
          await queryAll({
            IndexName: 'gsi1',
            // gsi1sk is <createdAt>#<runId>: "before the time" is a key condition, not a filter.
            KeyConditionExpression: createdKeyCondition(query),
            ExpressionAttributeValues: {
              ':pk': `RUNS#${status}`,
              ...(query.createdBefore ? { ':before': query.createdBefore } : {}),
              ...(query.createdSince ? { ':since': query.createdSince } : {}),
            },
            ScanIndexForward: false,
            Limit: limit,
          }),
        );
      }
      return newestPerRun(pages.flat().map((item) => RunSchema.parse(strip(item))))
        .sort((a, b) =>
          a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.runId < b.runId ? 1 : -1,
        )
        .slice(0, limit);
    },

    async savePlan(plan) {
      try {
        await conditional('plan exists', () =>
          doc.send(
            new PutCommand({
              TableName,
              Item: { ...planKey(plan.runId), expiresAt: expiresAt(), plan },
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
          ),
        );
        return plan;
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        const existing = await this.getPlan(plan.runId);
        if (!existing) throw error;
        return existing;
      }
    },

    async getPlan(runId) {
      const item = await get(planKey(runId));
      return item ? PlanSchema.parse(item.plan) : undefined;
    },

    async recordIntent(intent) {
      try {
        await conditional('intent exists', () =>
          doc.send(
            new PutCommand({
              TableName,
              Item: { ...intentKey(intent.runId, intent.stepIndex), expiresAt: expiresAt(), ...intent },
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
          ),
        );
        return intent;
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        const existing = await this.getIntent(intent.runId, intent.stepIndex);
        if (!existing) throw error;
        return existing;
      }
    },

    async getIntent(runId, stepIndex) {
      const item = await get(intentKey(runId, stepIndex));
      return item ? IntentSchema.parse(strip(item)) : undefined;
    },

    async updateIntent(runId, stepIndex, from, patch, condition) {
      const owner = condition?.leaseOwner;
      const item = await updateWithStatus(
        intentKey(runId, stepIndex),
        from,
        patch,
        {},
        `intent ${runId}#${stepIndex} is not in status ${from.join(' or ')}${owner ? ` under lease ${owner}` : ''}`,
        owner,
      );
      return IntentSchema.parse(strip(item));
    },

    async claimIntent(runId, stepIndex, claim) {
      const { Attributes } = await conditional(
        `intent ${runId}#${stepIndex} is claimed by another attempt or no longer at attempt ${claim.attempts}`,
        () =>
          doc.send(
            new UpdateCommand({
              TableName,
              Key: intentKey(runId, stepIndex),
              UpdateExpression:
                'SET #status = :executing, attempts = :next, leaseOwner = :owner, leaseExpiresAt = :expires, startedAt = if_not_exists(startedAt, :now)',
              ConditionExpression: `attribute_exists(pk) AND attempts = :attempts AND (#status = :recorded OR (#status = :executing AND (attribute_not_exists(leaseExpiresAt) OR leaseExpiresAt < :now${
                claim.supersedes === undefined ? '' : ' OR leaseOwner = :supersedes'
              })))`,
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: {
                ':executing': 'EXECUTING',
                ':recorded': 'RECORDED',
                ':attempts': claim.attempts,
                ':next': claim.attempts + 1,
                ':owner': claim.owner,
                ':expires': claim.leaseExpiresAt,
                ':now': claim.now,
                ...(claim.supersedes === undefined ? {} : { ':supersedes': claim.supersedes }),
              },
              ReturnValues: 'ALL_NEW',
            }),
          ),
      );
      return IntentSchema.parse(strip(Attributes as Record<string, unknown>));
    },

    async listIntents(runId) {
      const items = await queryAll({
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': `RUN#${runId}`, ':prefix': 'INTENT#' },
        ConsistentRead: true,
      });
      return items.map((item): Intent => IntentSchema.parse(strip(item)));
    },

    appendJournal: (entry) => appendRunLog('JOURNAL', entry),
    listJournal: async (runId) =>
      (await listRunLog(runId, 'JOURNAL')).map((item) => JournalEntrySchema.parse(item)),
    appendAudit: (entry) => appendRunLog('AUDIT', entry),
    listAudit: async (runId) =>
      (await listRunLog(runId, 'AUDIT')).map((item) => AuditEntrySchema.parse(item)),

    async getEntityVersion(type, id, version) {
      const item = await get({ pk: entityPk(type, id), sk: `V#${String(version).padStart(10, '0')}` });
      return item ? EntitySchema.parse(strip(item)) : undefined;
    },

    async getEntity(type, id) {
      const item = await get({ pk: entityPk(type, id), sk: 'LATEST' });
      return item ? EntitySchema.parse(strip(item)) : undefined;
    },

    async putEntity(entity, expectedVersion, at): Promise<Entity> {
      const version = (expectedVersion ?? 0) + 1;
      const written: Entity = { ...entity, version, updatedAt: at.toISOString() };
      const pk = entityPk(entity.type, entity.id);
      // History first: a crash before LATEST leaves a version the same writer may write again.
      await conditional(`${entity.type}/${entity.id} v${version} was written by another writer`, () =>
        doc.send(
          new PutCommand({
            TableName,
            Item: { pk, sk: `V#${String(version).padStart(10, '0')}`, ...written },
            ConditionExpression: 'attribute_not_exists(pk) OR updatedBy = :me',
            ExpressionAttributeValues: { ':me': entity.updatedBy },
          }),
        ),
      );
      await conditional(`${entity.type}/${entity.id} changed since v${expectedVersion ?? 0}`, () =>
        doc.send(
          new PutCommand({
            TableName,
            Item: { pk, sk: 'LATEST', entityKind: entity.type, ...written },
            ConditionExpression:
              expectedVersion === undefined
                ? 'attribute_not_exists(pk)'
                : 'version = :expected OR updatedBy = :me',
            ExpressionAttributeValues:
              expectedVersion === undefined
                ? undefined
                : { ':expected': expectedVersion, ':me': entity.updatedBy },
          }),
        ),
      );
      return written;
    },
  };
}
