import { createHash } from 'node:crypto';
import {
  type AttributeValue,
  DeleteItemCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  type KeySchemaElement,
  ListTablesCommand,
  type Projection,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { canonicalJson } from '../../functions/core/run-start-claims.ts';

/*
 * Why this exists: dynalite writes a secondary index's entries and then the item as separate
 * LevelDB writes (deletes of old entries, puts of new ones, then the item). A SIGKILL between them
 * leaves an entry without its item, an entry whose item has other index keys (or another content),
 * or an item without its entry. This pass puts every secondary index of every table back in
 * agreement with the items, through the DynamoDB API only, before anything else uses the store.
 *
 * Removing an entry needs an item with that entry's table key and index keys: dynalite drops an
 * entry only when the item it belongs to moves away from it. So the pass writes such an item and
 * then moves it back. That item carries REPAIR_ATTRIBUTE saying how to undo it, so a crash in the
 * middle of a repair is finished by the next pass, which reads the items before the indexes.
 */

type Item = Record<string, AttributeValue>;

/** On an item only while a repair of it is in progress: how to undo what the repair wrote. */
export const REPAIR_ATTRIBUTE = 'aios:index-repair';

/** What one pass found and did, for the log and the tests. */
export interface IndexRepairReport {
  tables: number;
  items: number;
  entries: number;
  /** Entries whose item does not exist, or no longer has that entry's index keys: removed. */
  orphansRemoved: number;
  /** Items with no entry, or an entry holding another content than the item: written again. */
  itemsReindexed: number;
  /** Repairs a crash had interrupted (items still carrying REPAIR_ATTRIBUTE): finished. */
  interruptedRepairsFinished: number;
}

interface SecondaryIndex {
  name: string;
  /** The index's key attributes that are not the table's key: the ones that can disagree. */
  ownKeys: string[];
  keys: string[];
  /** Which attributes of an item its entry holds. */
  projected: (item: Item) => Item;
}

interface TableShape {
  name: string;
  keys: string[];
  hashKey: string;
  indexes: SecondaryIndex[];
}

/** An item's key, and what it should look like in each index: its index key (absent: not indexed) and content. */
type Expected = { key: Item; indexes: { indexKey?: string; content: string }[] };

type UndoRepair = { undo: 'delete' } | { undo: 'restore'; attributes: Record<string, AttributeValue | null> };

/** Reconciles every secondary index of every table with the table's items. Safe to repeat and to interrupt. */
export async function repairIndexes(client: DynamoDBClient): Promise<IndexRepairReport> {
  const report: IndexRepairReport = {
    tables: 0,
    items: 0,
    entries: 0,
    orphansRemoved: 0,
    itemsReindexed: 0,
    interruptedRepairsFinished: 0,
  };
  for (const shape of await indexedTables(client)) {
    report.tables += 1;
    await repairTable(client, shape, report);
  }
  return report;
}

async function indexedTables(client: DynamoDBClient): Promise<TableShape[]> {
  const names: string[] = [];
  let ExclusiveStartTableName: string | undefined;
  do {
    const page = await client.send(new ListTablesCommand({ ExclusiveStartTableName }));
    names.push(...(page.TableNames ?? []));
    ExclusiveStartTableName = page.LastEvaluatedTableName;
  } while (ExclusiveStartTableName);
  const shapes: TableShape[] = [];
  for (const name of names) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    const keys = attributeNames(Table?.KeySchema);
    const indexes = [...(Table?.GlobalSecondaryIndexes ?? []), ...(Table?.LocalSecondaryIndexes ?? [])].map(
      (index): SecondaryIndex => {
        const indexKeys = attributeNames(index.KeySchema);
        return {
          name: index.IndexName ?? '',
          keys: indexKeys,
          ownKeys: indexKeys.filter((k) => !keys.includes(k)),
          projected: projectionOf(index.Projection, [...keys, ...indexKeys]),
        };
      },
    );
    const hashKey = Table?.KeySchema?.find((k) => k.KeyType === 'HASH')?.AttributeName;
    if (indexes.length > 0 && hashKey) shapes.push({ name, keys, hashKey, indexes });
  }
  return shapes;
}

const attributeNames = (schema: KeySchemaElement[] | undefined) =>
  (schema ?? []).map((k) => k.AttributeName ?? '');

function projectionOf(projection: Projection | undefined, keys: string[]): (item: Item) => Item {
  if (projection?.ProjectionType === 'ALL' || projection?.ProjectionType === undefined) return (item) => item;
  const kept = [...keys, ...(projection.NonKeyAttributes ?? [])];
  return (item) => pick(item, kept);
}

async function repairTable(client: DynamoDBClient, shape: TableShape, report: IndexRepairReport) {
  // Items first: an interrupted repair is finished before its item is taken as the truth.
  const expected = new Map<string, Expected>();
  for await (const scanned of scanAll(client, { TableName: shape.name, ConsistentRead: true })) {
    const item = scanned[REPAIR_ATTRIBUTE] ? await finishRepair(client, shape, scanned, report) : scanned;
    if (!item) continue;
    report.items += 1;
    expected.set(keyOf(shape.keys, item), {
      key: pick(item, shape.keys),
      indexes: shape.indexes.map((index) => ({
        indexKey: indexKeyOf(index, item),
        content: fingerprint(index.projected(item)),
      })),
    });
  }
  for (const [i, index] of shape.indexes.entries()) {
    const orphans: Item[] = [];
    const rewrite = new Set<string>();
    const represented = new Set<string>();
    for await (const entry of scanAll(client, { TableName: shape.name, IndexName: index.name })) {
      report.entries += 1;
      const tableKey = keyOf(shape.keys, entry);
      const wanted = expected.get(tableKey)?.indexes[i];
      if (!wanted || wanted.indexKey !== indexKeyOf(index, entry)) orphans.push(entry);
      else if (wanted.content !== fingerprint(index.projected(entry))) rewrite.add(tableKey);
      else represented.add(tableKey);
    }
    for (const [tableKey, wanted] of expected) {
      if (wanted.indexes[i]?.indexKey !== undefined && !represented.has(tableKey)) rewrite.add(tableKey);
    }
    for (const orphan of orphans) {
      await removeOrphan(client, shape, index, orphan);
      report.orphansRemoved += 1;
      // Moving the item back wrote its own entry too.
      rewrite.delete(keyOf(shape.keys, orphan));
    }
    for (const tableKey of rewrite) {
      const key = expected.get(tableKey)?.key;
      const item = key && (await getItem(client, shape.name, key));
      if (!item) continue;
      await client.send(new PutItemCommand({ TableName: shape.name, Item: item }));
      report.itemsReindexed += 1;
    }
  }
}

/**
 * Removes an entry whose item is missing or has other index keys: an item with the entry's keys is
 * written (dynalite overwrites the entry with it), then moved back to what it was (dynalite drops
 * the entry). REPAIR_ATTRIBUTE on the written item says how to move it back after a crash.
 */
async function removeOrphan(client: DynamoDBClient, shape: TableShape, index: SecondaryIndex, orphan: Item) {
  const key = pick(orphan, shape.keys);
  const item = await getItem(client, shape.name, key);
  const undo: UndoRepair = item
    ? { undo: 'restore', attributes: Object.fromEntries(index.ownKeys.map((a) => [a, item[a] ?? null])) }
    : { undo: 'delete' };
  await client.send(
    new PutItemCommand({
      TableName: shape.name,
      Item: {
        ...(item ?? key),
        ...pick(orphan, index.ownKeys),
        [REPAIR_ATTRIBUTE]: { S: JSON.stringify(undo) },
      },
      // Nothing else writes while the pass runs; the condition only keeps a mistake from overwriting data.
      ...(item
        ? {}
        : {
            ConditionExpression: 'attribute_not_exists(#h)',
            ExpressionAttributeNames: { '#h': shape.hashKey },
          }),
    }),
  );
  if (item) await client.send(new PutItemCommand({ TableName: shape.name, Item: item }));
  else
    await client.send(
      new DeleteItemCommand({
        TableName: shape.name,
        Key: key,
        ConditionExpression: 'attribute_exists(#r)',
        ExpressionAttributeNames: { '#r': REPAIR_ATTRIBUTE },
      }),
    );
}

/** Undoes what an interrupted repair wrote; returns the item as it was before, if there was one. */
async function finishRepair(
  client: DynamoDBClient,
  shape: TableShape,
  item: Item,
  report: IndexRepairReport,
): Promise<Item | undefined> {
  const undo = JSON.parse(item[REPAIR_ATTRIBUTE]?.S ?? '{}') as UndoRepair;
  report.interruptedRepairsFinished += 1;
  if (undo.undo === 'delete') {
    await client.send(new DeleteItemCommand({ TableName: shape.name, Key: pick(item, shape.keys) }));
    return undefined;
  }
  const restored: Item = { ...item };
  delete restored[REPAIR_ATTRIBUTE];
  for (const [name, value] of Object.entries(undo.attributes)) {
    if (value === null) delete restored[name];
    else restored[name] = value;
  }
  await client.send(new PutItemCommand({ TableName: shape.name, Item: restored }));
  return restored;
}

async function* scanAll(
  client: DynamoDBClient,
  input: { TableName: string; IndexName?: string; ConsistentRead?: boolean },
): AsyncGenerator<Item> {
  let ExclusiveStartKey: Item | undefined;
  do {
    const page = await client.send(new ScanCommand({ ...input, ExclusiveStartKey }));
    yield* page.Items ?? [];
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
}

async function getItem(client: DynamoDBClient, TableName: string, Key: Item): Promise<Item | undefined> {
  const { Item } = await client.send(new GetItemCommand({ TableName, Key, ConsistentRead: true }));
  return Item;
}

const pick = (item: Item, names: readonly string[]): Item =>
  Object.fromEntries(names.filter((n) => item[n] !== undefined).map((n) => [n, item[n] as AttributeValue]));

const keyOf = (names: readonly string[], item: Item) => canonicalJson(pick(item, names));

function indexKeyOf(index: SecondaryIndex, item: Item): string | undefined {
  // dynalite (like DynamoDB) indexes an item only when it has every key attribute of the index.
  return index.keys.every((k) => item[k] !== undefined) ? canonicalJson(pick(item, index.keys)) : undefined;
}

const fingerprint = (item: Item) => createHash('sha256').update(canonicalJson(item)).digest('base64');
