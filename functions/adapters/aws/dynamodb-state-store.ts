import { randomBytes } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../../core/errors.ts';
import type { BreakerReading, IntentClaim, StateStore, StepLogs } from '../../core/ports.ts';
import {
  AuditEntrySchema,
  type Entity,
  EntitySchema,
  type Intent,
  IntentSchema,
  JournalEntrySchema,
  type Plan,
  PlanSchema,
  type Run,
  RunSchema,
  RunStatusSchema,
} from '../../core/schemas.ts';
import { breakerKey } from './dynamodb-circuit-breaker.ts';

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
 *   a run's audit log         pk AUDIT#<id>           sk <at>#<seq>      (its own partition: IAM tells it apart)
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
const entityVersionSk = (version: number) => `V#${String(version).padStart(10, '0')}`;
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

/** What every operation works on: the table, the clock and how long run-scoped items live. */
interface StateTable {
  doc: DynamoDBDocumentClient;
  TableName: string;
  now: () => Date;
  retentionSeconds: number;
}

type Item = Record<string, unknown>;
type Key = { pk: string; sk: string };

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
  const table: StateTable = {
    doc: DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    }),
    TableName: options.tableName,
    now: options.now ?? (() => new Date()),
    retentionSeconds: (options.retentionDays ?? 400) * 86_400,
  };
  return {
    createRun: (run) => createRun(table, run),
    getRun: (runId) => getRun(table, runId),
    getIntentWithRun: (runId, stepIndex) => getIntentWithRun(table, runId, stepIndex),
    getIntentWithRunAndBreaker: (runId, stepIndex, key) =>
      getIntentWithRunAndBreaker(table, runId, stepIndex, key),
    updateRun: (runId, from, patch) => updateRun(table, runId, from, patch),
    listRuns: (query) => listRuns(table, query),
    savePlan: (plan) => savePlan(table, plan),
    getPlan: (runId) => getPlan(table, runId),
    recordIntent: (intent) => recordIntent(table, intent),
    recordIntentWithLogs: (intent, logs) => recordIntentWithLogs(table, intent, logs),
    getIntent: (runId, stepIndex) => getIntent(table, runId, stepIndex),
    updateIntent: (runId, stepIndex, from, patch, condition) =>
      updateIntent(table, runId, stepIndex, from, patch, condition?.leaseOwner),
    claimIntent: (runId, stepIndex, claim) => claimIntent(table, runId, stepIndex, claim),
    updateIntentWithLogs: (runId, stepIndex, from, patch, condition, logs) =>
      updateIntentWithLogs(table, runId, stepIndex, from, patch, condition.leaseOwner, logs),
    listIntents: async (runId) =>
      (await listRunItems(table, runId, 'INTENT')).map((item): Intent => IntentSchema.parse(item)),
    appendJournal: (entry, options) => appendRunLog(table, 'JOURNAL', entry, options?.id),
    listJournal: async (runId) =>
      (await listRunItems(table, runId, 'JOURNAL')).map((item) => JournalEntrySchema.parse(item)),
    appendAudit: (entry, options) => appendRunLog(table, 'AUDIT', entry, options?.id),
    listAudit: (runId) => listAudit(table, runId),
    getEntityVersion: async (type, id, version) => {
      const item = await getItem(table, { pk: entityPk(type, id), sk: entityVersionSk(version) });
      return item ? EntitySchema.parse(strip(item)) : undefined;
    },
    getEntity: async (type, id) => {
      const item = await getItem(table, { pk: entityPk(type, id), sk: 'LATEST' });
      return item ? EntitySchema.parse(strip(item)) : undefined;
    },
    getEntityAsOf: (type, id, at) => getEntityAsOf(table, type, id, at),
    putEntity: (entity, expectedVersion, at) => putEntity(table, entity, expectedVersion, at),
  };
}

// ---- runs ---------------------------------------------------------------------------------------

async function createRun(table: StateTable, run: Run): Promise<void> {
  await conditional(`run ${run.runId} already exists`, () =>
    table.doc.send(
      new PutCommand({
        TableName: table.TableName,
        Item: {
          ...runKey(run.runId),
          gsi1pk: `RUNS#${run.status}`,
          gsi1sk: `${run.createdAt}#${run.runId}`,
          expiresAt: expiresAt(table),
          ...run,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    ),
  );
}

async function getRun(table: StateTable, runId: string): Promise<Run | undefined> {
  const item = await getItem(table, runKey(runId));
  return item ? RunSchema.parse(strip(item)) : undefined;
}

/**
 * Items of the table in one BatchGetItem (strongly consistent, as each GetItem here), live ones
 * only. Keys DynamoDB leaves unprocessed (throttling) are asked again; an item not there is absent.
 */
async function batchGet(table: StateTable, wanted: Key[]): Promise<Item[]> {
  const found: Item[] = [];
  let keys: Key[] | undefined = wanted;
  for (let round = 0; keys && keys.length > 0; round += 1) {
    if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** round)));
    const { Responses, UnprocessedKeys } = await table.doc.send(
      new BatchGetCommand({
        RequestItems: { [table.TableName]: { Keys: keys, ConsistentRead: true } },
      }),
    );
    found.push(...(Responses?.[table.TableName] ?? []));
    keys = UnprocessedKeys?.[table.TableName]?.Keys as Key[] | undefined;
  }
  return found.filter((item) => isLive(table, item));
}

const itemOf = (items: Item[], key: Key) => items.find((item) => item.pk === key.pk && item.sk === key.sk);

function intentWithRun(items: Item[], runId: string, stepIndex: number): { intent?: Intent; run?: Run } {
  const intent = itemOf(items, intentKey(runId, stepIndex));
  const run = itemOf(items, runKey(runId));
  return {
    ...(intent ? { intent: IntentSchema.parse(strip(intent)) } : {}),
    ...(run ? { run: RunSchema.parse(strip(run)) } : {}),
  };
}

/** The intent and its run in one BatchGetItem. */
async function getIntentWithRun(
  table: StateTable,
  runId: string,
  stepIndex: number,
): Promise<{ intent?: Intent; run?: Run }> {
  return intentWithRun(await batchGet(table, [intentKey(runId, stepIndex), runKey(runId)]), runId, stepIndex);
}

/**
 * The intent, its run and the circuit breaker's item (dynamodb-circuit-breaker.ts keeps it in this
 * table) in one BatchGetItem: the gateway's reads before an attempt, one request instead of two.
 */
async function getIntentWithRunAndBreaker(
  table: StateTable,
  runId: string,
  stepIndex: number,
  key: string,
): Promise<{ intent?: Intent; run?: Run; breaker: BreakerReading }> {
  const breaker = breakerKey(key);
  const items = await batchGet(table, [intentKey(runId, stepIndex), runKey(runId), breaker]);
  return {
    ...intentWithRun(items, runId, stepIndex),
    breaker: { store: table.TableName, key, item: itemOf(items, breaker) },
  };
}

async function updateRun(
  table: StateTable,
  runId: string,
  from: readonly Run['status'][],
  patch: Parameters<StateStore['updateRun']>[2],
): Promise<Run> {
  const current = await getRun(table, runId);
  const extra: Item = {};
  if (patch.status && current) {
    extra.gsi1pk = `RUNS#${patch.status}`;
    extra.gsi1sk = `${current.createdAt}#${runId}`;
  }
  const item = await updateWithStatus(table, {
    key: runKey(runId),
    from,
    patch: { ...patch, ...extra },
    what: `run ${runId} is not in status ${from.join(' or ')}`,
  });
  return RunSchema.parse(strip(item));
}

async function listRuns(
  table: StateTable,
  query: Parameters<StateStore['listRuns']>[0] = {},
): Promise<Run[]> {
  const limit = query.limit ?? 50;
  // An empty window: DynamoDB refuses a BETWEEN whose bounds are the wrong way round.
  if (query.createdSince && query.createdBefore && query.createdSince >= query.createdBefore) return [];
  const statuses = query.status ? [query.status] : RUN_STATUSES;
  // One status at a time, in the order of the lifecycle (QUEUED, RUNNING, then the terminal
  // ones, which a run never leaves): a run that moves on while we list is met again in a later
  // query. Queried all at once, a run leaving QUEUED just after the RUNNING query ran and just
  // before the QUEUED one was in neither answer, and GET /runs did not list it.
  const pages: Item[][] = [];
  for (const status of statuses) {
    pages.push(
      await queryAll(table, {
        IndexName: 'gsi1',
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
}

/** Writes the plan once; a retried planner gets the plan written first. */
async function savePlan(table: StateTable, plan: Plan): Promise<Plan> {
  const item = { ...planKey(plan.runId), expiresAt: expiresAt(table), plan };
  return writeOnce(table, item, 'plan exists', plan, () => getPlan(table, plan.runId));
}

async function getPlan(table: StateTable, runId: string): Promise<Plan | undefined> {
  const item = await getItem(table, planKey(runId));
  return item ? PlanSchema.parse(item.plan) : undefined;
}

// ---- intents ------------------------------------------------------------------------------------

const intentItem = (table: StateTable, intent: Intent): Item => ({
  ...intentKey(intent.runId, intent.stepIndex),
  expiresAt: expiresAt(table),
  ...intent,
});

/** Writes the intent once; a retried executor gets the intent recorded first. */
async function recordIntent(table: StateTable, intent: Intent): Promise<Intent> {
  const item = intentItem(table, intent);
  return writeOnce(table, item, 'intent exists', intent, () =>
    getIntent(table, intent.runId, intent.stepIndex),
  );
}

async function getIntent(table: StateTable, runId: string, stepIndex: number): Promise<Intent | undefined> {
  const item = await getItem(table, intentKey(runId, stepIndex));
  return item ? IntentSchema.parse(strip(item)) : undefined;
}

async function updateIntent(
  table: StateTable,
  runId: string,
  stepIndex: number,
  from: readonly Intent['status'][],
  patch: Parameters<StateStore['updateIntent']>[3],
  leaseOwner: string | undefined,
): Promise<Intent> {
  const item = await updateWithStatus(table, intentStatusUpdate(runId, stepIndex, from, patch, leaseOwner));
  return IntentSchema.parse(strip(item));
}

const intentStatusUpdate = (
  runId: string,
  stepIndex: number,
  from: readonly Intent['status'][],
  patch: Item,
  leaseOwner: string | undefined,
): StatusUpdate => ({
  key: intentKey(runId, stepIndex),
  from,
  patch,
  what: `intent ${runId}#${stepIndex} is not in status ${from.join(' or ')}${leaseOwner ? ` under lease ${leaseOwner}` : ''}`,
  leaseOwner,
});

/*
 * An intent written together with its journal and audit entries: one TransactWriteItems of three
 * items instead of three requests, and none of them there without the others (a crash between
 * them used to leave an intent whose decision or effect was not logged yet). Each item keeps its
 * own condition: the intent's write-once or status condition, and `attribute_not_exists` on each
 * log entry, so a transaction never overwrites an entry either. Within DynamoDB's limits: three
 * items (of at most 100), each on its own key, a few KB (of 4 MB). The SDK sends a
 * ClientRequestToken with each transaction and keeps it on its own retries, so a retried request
 * whose first try was applied is answered without being applied again.
 */

async function recordIntentWithLogs(
  table: StateTable,
  intent: Intent,
  logs: StepLogs,
): Promise<{ intent: Intent; created: boolean }> {
  const what = `intent ${intent.runId}#${intent.stepIndex} exists`;
  try {
    await transact(table, what, [
      {
        Put: {
          TableName: table.TableName,
          Item: intentItem(table, intent),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      runLogPut(table, 'JOURNAL', logs.journal.entry, logs.journal.id),
      runLogPut(table, 'AUDIT', logs.audit.entry, logs.audit.id),
    ]);
    return { intent, created: true };
  } catch (error) {
    // Written before (a repeat after a crash): the stored intent, as recordIntent answers it.
    if (!(error instanceof ConflictError)) throw error;
    const stored = await getIntent(table, intent.runId, intent.stepIndex);
    if (!stored) throw error;
    return { intent: stored, created: false };
  }
}

async function updateIntentWithLogs(
  table: StateTable,
  runId: string,
  stepIndex: number,
  from: readonly Intent['status'][],
  patch: Item,
  leaseOwner: string | undefined,
  logs: StepLogs,
): Promise<void> {
  const update = intentStatusUpdate(runId, stepIndex, from, patch, leaseOwner);
  await transact(table, update.what, [
    { Update: statusUpdateInput(table, update) },
    runLogPut(table, 'JOURNAL', logs.journal.entry, logs.journal.id),
    runLogPut(table, 'AUDIT', logs.audit.entry, logs.audit.id),
  ]);
}

async function claimIntent(
  table: StateTable,
  runId: string,
  stepIndex: number,
  claim: IntentClaim,
): Promise<Intent> {
  const { Attributes } = await conditional(
    `intent ${runId}#${stepIndex} is claimed by another attempt or no longer at attempt ${claim.attempts}`,
    () =>
      table.doc.send(
        new UpdateCommand({
          TableName: table.TableName,
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
  return IntentSchema.parse(strip(Attributes as Item));
}

// ---- journal and audit log ----------------------------------------------------------------------

/**
 * The journal and the audit log: append-only, in time order, kept as long as the run. Never an
 * overwrite (a conditional put); an entry with an `id` is written once, however often appended.
 * The audit log has a partition of its own, so IAM (dynamodb:LeadingKeys) can tell it apart.
 */
async function appendRunLog(
  table: StateTable,
  kind: 'JOURNAL' | 'AUDIT',
  entry: { runId: string; at: string },
  id?: string,
) {
  const { Put } = runLogPut(table, kind, entry, id);
  try {
    await table.doc.send(new PutCommand(Put));
  } catch (error) {
    const taken = error instanceof ConditionalCheckFailedException;
    if (!(taken && id))
      throw taken ? new ConflictError(`${kind} entry ${Put.Item.sk} exists`, { cause: error }) : error;
  }
}

/** A journal or audit entry's conditional put: a new key (or the entry's id), never an overwrite. */
function runLogPut(
  table: StateTable,
  kind: 'JOURNAL' | 'AUDIT',
  entry: { runId: string; at: string },
  id?: string,
) {
  journalSeq = (journalSeq + 1) % 1_000_000;
  const seq = id ?? `${String(journalSeq).padStart(6, '0')}${randomBytes(3).toString('hex')}`;
  const key =
    kind === 'AUDIT'
      ? { pk: `AUDIT#${entry.runId}`, sk: `${entry.at}#${seq}` }
      : { pk: `RUN#${entry.runId}`, sk: `JOURNAL#${entry.at}#${seq}` };
  return {
    Put: {
      TableName: table.TableName,
      Item: { ...key, expiresAt: expiresAt(table), ...entry },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/** A run's audit log; entries written before it had a partition of its own are in the run's. */
async function listAudit(table: StateTable, runId: string) {
  const [own, legacy] = await Promise.all([
    queryAll(table, {
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `AUDIT#${runId}` },
      ConsistentRead: true,
    }),
    queryAll(table, {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': `RUN#${runId}`, ':prefix': 'AUDIT#' },
      ConsistentRead: true,
    }),
  ]);
  return [...legacy, ...own]
    .map(strip)
    .map((item) => AuditEntrySchema.parse(item))
    .sort((a, b) => a.at.localeCompare(b.at));
}

/** A run's items of one kind (intents, journal, audit), in sort-key order, keys stripped. */
async function listRunItems(table: StateTable, runId: string, kind: 'INTENT' | 'JOURNAL' | 'AUDIT') {
  const items = await queryAll(table, {
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': `RUN#${runId}`, ':prefix': `${kind}#` },
    ConsistentRead: true,
  });
  return items.map(strip);
}

// ---- entities -----------------------------------------------------------------------------------

async function putEntity(
  table: StateTable,
  entity: Parameters<StateStore['putEntity']>[0],
  expectedVersion: number | undefined,
  at: Date,
): Promise<Entity> {
  const version = (expectedVersion ?? 0) + 1;
  const written: Entity = { ...entity, version, updatedAt: at.toISOString() };
  const pk = entityPk(entity.type, entity.id);
  // The version and LATEST in one transaction, each on its own condition: the version is new or
  // this writer's (a repeat of the same write), LATEST is still the version this write follows.
  await transact(
    table,
    (failed) =>
      failed === 0
        ? `${entity.type}/${entity.id} v${version} was written by another writer`
        : `${entity.type}/${entity.id} changed since v${expectedVersion ?? 0}`,
    [
      {
        Put: {
          TableName: table.TableName,
          Item: { pk, sk: entityVersionSk(version), ...written },
          ConditionExpression: 'attribute_not_exists(pk) OR updatedBy = :me',
          ExpressionAttributeValues: { ':me': entity.updatedBy },
        },
      },
      {
        Put: {
          TableName: table.TableName,
          Item: { pk, sk: 'LATEST', entityKind: entity.type, ...written },
          ConditionExpression:
            expectedVersion === undefined
              ? 'attribute_not_exists(pk)'
              : 'version = :expected OR updatedBy = :me',
          ExpressionAttributeValues:
            expectedVersion === undefined
              ? undefined
              : { ':expected': expectedVersion, ':me': entity.updatedBy },
        },
      },
    ],
  );
  return written;
}

/**
 * Versions newest first, until the first written at or before `at`: versions only grow with time,
 * so that one is the entity as it stood then. Pages of a few keep a long history cheap to walk back.
 */
async function getEntityAsOf(table: StateTable, type: string, id: string, at: string) {
  let ExclusiveStartKey: Item | undefined;
  do {
    const page = await table.doc.send(
      new QueryCommand({
        TableName: table.TableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': entityPk(type, id), ':prefix': 'V#' },
        ScanIndexForward: false,
        ConsistentRead: true,
        Limit: 10,
        ExclusiveStartKey,
      }),
    );
    const found = (page.Items ?? []).find(
      (item) => typeof item.updatedAt === 'string' && item.updatedAt <= at,
    );
    if (found) return EntitySchema.parse(strip(found));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return undefined;
}

// ---- table helpers ------------------------------------------------------------------------------

const expiresAt = (table: StateTable) => Math.floor(table.now().getTime() / 1000) + table.retentionSeconds;

// TTL deletes lazily, so an expired item may still be read: it counts as gone.
const isLive = (table: StateTable, item: Item | undefined): item is Item =>
  item !== undefined &&
  !(typeof item.expiresAt === 'number' && item.expiresAt * 1000 < table.now().getTime());

const strip = (item: Item) =>
  Object.fromEntries(Object.entries(item).filter(([k]) => !KEY_ATTRIBUTES.includes(k)));

async function getItem(table: StateTable, key: Key): Promise<Item | undefined> {
  const { Item } = await table.doc.send(
    new GetCommand({ TableName: table.TableName, Key: key, ConsistentRead: true }),
  );
  return isLive(table, Item) ? Item : undefined;
}

async function queryAll(table: StateTable, input: Omit<QueryCommandInput, 'TableName'>): Promise<Item[]> {
  const items: Item[] = [];
  let ExclusiveStartKey: Item | undefined;
  do {
    const page = await table.doc.send(
      new QueryCommand({ TableName: table.TableName, ...input, ExclusiveStartKey }),
    );
    items.push(...((page.Items ?? []) as Item[]).filter((item) => isLive(table, item)));
    ExclusiveStartKey = page.LastEvaluatedKey;
    if (input.Limit && items.length >= input.Limit) break;
  } while (ExclusiveStartKey);
  return items;
}

/**
 * Puts an item that is written once (a plan, an intent) and answers `written`; when it is there
 * already, answers the stored one instead, as a retried writer must get what the first one wrote.
 */
async function writeOnce<T>(
  table: StateTable,
  item: Item,
  what: string,
  written: T,
  stored: () => Promise<T | undefined>,
): Promise<T> {
  try {
    await conditional(what, () =>
      table.doc.send(
        new PutCommand({
          TableName: table.TableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    return written;
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    const existing = await stored();
    if (!existing) throw error;
    return existing;
  }
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

interface StatusUpdate {
  key: Key;
  /** The statuses the item must be in for the write to apply. */
  from: readonly string[];
  /** Fields to SET; a field set to undefined is REMOVEd. */
  patch: Item;
  /** The ConflictError's message when the condition fails. */
  what: string;
  /** When set, the item must also still be leased to this owner. */
  leaseOwner?: string | undefined;
}

/** SET every defined field of the patch, REMOVE the ones set to undefined, on a status condition. */
async function updateWithStatus(table: StateTable, update: StatusUpdate): Promise<Item> {
  const { Attributes } = await conditional(update.what, () =>
    table.doc.send(new UpdateCommand({ ...statusUpdateInput(table, update), ReturnValues: 'ALL_NEW' })),
  );
  return Attributes as Item;
}

function statusUpdateInput(table: StateTable, update: StatusUpdate) {
  const { key, from, patch, leaseOwner } = update;
  const names: Record<string, string> = { '#status': 'status' };
  const values: Item = leaseOwner === undefined ? {} : { ':owner': leaseOwner };
  const sets: string[] = [];
  const removes: string[] = [];
  Object.entries(patch).forEach(([field, value], i) => {
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
  return {
    TableName: table.TableName,
    Key: key,
    UpdateExpression: expression,
    ConditionExpression: `attribute_exists(pk) AND #status IN (${from.map((_, i) => `:from${i}`).join(', ')})${
      leaseOwner === undefined ? '' : ' AND leaseOwner = :owner'
    }`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  } satisfies UpdateCommandInput;
}

type TransactItems = NonNullable<TransactWriteCommandInput['TransactItems']>;

/** The cancellation codes DynamoDB gives when a transaction met another write of one of its items. */
const CONTENTION = new Set(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded']);
const CONTENTION_RETRIES = 3;

/**
 * One TransactWriteItems. A cancellation because a condition failed becomes a ConflictError (the
 * domain's word for a conditional write that lost); one because another write of the same item
 * was in flight (DynamoDB cancels rather than waits) is tried again, after a short pause: nothing
 * of a cancelled transaction was written.
 */
async function transact(
  table: StateTable,
  what: string | ((failedItem: number) => string),
  items: TransactItems,
): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await table.doc.send(new TransactWriteCommand({ TransactItems: items }));
      return;
    } catch (error) {
      if (
        !(
          error instanceof TransactionCanceledException ||
          (error as Error).name === 'TransactionCanceledException'
        )
      )
        throw error;
      const codes = ((error as TransactionCanceledException).CancellationReasons ?? []).map((r) => r.Code);
      const failed = codes.indexOf('ConditionalCheckFailed');
      if (failed >= 0)
        throw new ConflictError(typeof what === 'string' ? what : what(failed), { cause: error });
      if (attempt >= CONTENTION_RETRIES || !codes.some((code) => code !== undefined && CONTENTION.has(code)))
        throw error;
      await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** attempt * Math.random()));
    }
  }
}
