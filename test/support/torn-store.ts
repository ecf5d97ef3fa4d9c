import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { CLEAN_CLOSE_MARKER } from '../../lib/local/embedded-dynamodb.ts';

/*
 * Builds, in a closed store's directory, exactly what a SIGKILL leaves in the middle of a dynalite
 * write: dynalite 4 writes a secondary index's entries (deletes of the old ones, then puts of the
 * new ones) and only then the item, each a LevelDB write of its own. Test code only: this opens
 * dynalite's LevelDB with dynalite's own key functions, which production code never does.
 */

type Item = Record<string, AttributeValue>;
type Callback<T = unknown> = (error: Error | null | undefined, value?: T) => void;

interface SubDb {
  get(key: string, callback: Callback<Item>): void;
  put(key: string, value: unknown, callback: Callback): void;
  del(key: string, callback: Callback): void;
}

interface DynaliteTable {
  TableName: string;
  GlobalSecondaryIndexes?: unknown[];
  LocalSecondaryIndexes?: unknown[];
}

interface DynaliteStore {
  db: { close(callback: Callback): void };
  getTable(name: string, callback: Callback<DynaliteTable>): void;
  getItemDb(table: string): SubDb;
  getIndexDb(type: 'Global' | 'Local', table: string, index: string): SubDb;
}

interface IndexAction {
  index: string;
  key: string;
  item?: Item;
}

interface DynaliteDb {
  create(options: { path: string }): DynaliteStore;
  createKey(item: Item, table: DynaliteTable): string;
  getIndexActions(
    indexes: unknown[],
    existing: Item | null,
    item: Item | null,
    table: DynaliteTable,
  ): { puts: IndexAction[]; deletes: IndexAction[] };
}

const dynaliteDb = createRequire(import.meta.url)('dynalite/db') as DynaliteDb;

const call = <T>(run: (callback: Callback<T>) => void) =>
  new Promise<T | undefined>((resolve, reject) =>
    run((error, value) => (error ? reject(error) : resolve(value))),
  );

/** Where in dynalite's write sequence the kill fell. */
export type TearPoint =
  /** The old entries are deleted and the new ones written; the item is not. */
  | 'after-index-writes'
  /** The old entries are deleted; neither the new entries nor the item are written. */
  | 'after-old-entries-removed';

/**
 * Turns the last completed write of the item at `key` (whatever is stored there now, or nothing)
 * into that same write killed at `at`: the item goes back to `before` (absent: it did not exist),
 * the index keeps what the write had done to it by then. The store must be closed.
 */
export async function tearLastWrite(
  dir: string,
  tableName: string,
  key: Item,
  before: Item | undefined,
  at: TearPoint,
): Promise<void> {
  const store = dynaliteDb.create({ path: dir });
  try {
    const table = await call<DynaliteTable>((cb) => store.getTable(tableName, cb));
    if (!table) throw new Error(`no table ${tableName}`);
    const items = store.getItemDb(tableName);
    const itemKey = dynaliteDb.createKey(key, table);
    const written = await call<Item>((cb) => items.get(itemKey, cb)).catch(() => undefined);
    if (at === 'after-old-entries-removed') {
      // The new entries are not written yet: where the old item had the same entry, that one is
      // still there as it was; every other new entry does not exist yet.
      for (const type of ['Global', 'Local'] as const) {
        const indexes = table[`${type}SecondaryIndexes`] ?? [];
        const entriesOf = (item: Item | undefined) =>
          item ? dynaliteDb.getIndexActions(indexes, null, item, table).puts : [];
        const old = entriesOf(before);
        for (const entry of entriesOf(written)) {
          const index = store.getIndexDb(type, tableName, entry.index);
          const kept = old.find((o) => o.index === entry.index && o.key === entry.key);
          if (kept) await call((cb) => index.put(entry.key, kept.item, cb));
          else await call((cb) => index.del(entry.key, cb));
        }
      }
    }
    if (before) await call((cb) => items.put(itemKey, before, cb));
    else await call((cb) => items.del(itemKey, cb));
  } finally {
    await call((cb) => store.db.close(cb));
  }
}

/**
 * Writes the index entries of `copy` as dynalite would for an item, and nothing else: an index
 * holding a copy its item no longer matches, as a GSI on AWS may for a while. The store must be closed.
 */
export async function addIndexCopy(dir: string, tableName: string, copy: Item): Promise<void> {
  const store = dynaliteDb.create({ path: dir });
  try {
    const table = await call<DynaliteTable>((cb) => store.getTable(tableName, cb));
    if (!table) throw new Error(`no table ${tableName}`);
    for (const type of ['Global', 'Local'] as const) {
      const indexes = table[`${type}SecondaryIndexes`] ?? [];
      for (const entry of dynaliteDb.getIndexActions(indexes, null, copy, table).puts)
        await call((cb) => store.getIndexDb(type, tableName, entry.index).put(entry.key, entry.item, cb));
    }
  } finally {
    await call((cb) => store.db.close(cb));
  }
}

/** What a kill leaves behind: no record of a clean close, so the next start repairs the indexes. */
export function forgetCleanClose(dir: string): void {
  rmSync(join(dir, CLEAN_CLOSE_MARKER), { force: true });
}
