/*
 * dynalite moves an item's secondary-index entry in two LevelDB writes: it deletes the old entry,
 * waits, then puts the new one. A query of the old partition and then of the new one can both
 * land between the two and miss the item, although DynamoDB's own move (and the listing of runs
 * by status, which queries QUEUED before RUNNING for exactly this reason) never loses it from both.
 * With the store answering in process, the gap is wide enough to be hit: a restarted runtime
 * listed no runs while its recovery moved one from QUEUED to RUNNING. Here the deletes and puts
 * of each index go in one LevelDB batch, which readers see whole or not at all.
 */

type Callback = (error?: Error | null) => void;

interface IndexAction {
  index: string;
  key: string;
  item?: unknown;
}

interface IndexDb {
  batch(operations: { type: 'del' | 'put'; key: string; value?: unknown }[], callback: Callback): void;
}

interface IndexStore {
  getIndexDb(indexType: 'Local' | 'Global', tableName: string, indexName: string): IndexDb;
}

interface TableDescription {
  TableName: string;
  LocalSecondaryIndexes?: unknown[];
  GlobalSecondaryIndexes?: unknown[];
}

/** The part of `dynalite/db` this replaces and uses. */
export interface DynaliteIndexModule {
  updateIndexes(
    store: IndexStore,
    table: TableDescription,
    existing: unknown,
    item: unknown,
    cb: Callback,
  ): void;
  getIndexActions(
    indexes: unknown[],
    existing: unknown,
    item: unknown,
    table: TableDescription,
  ): { puts: IndexAction[]; deletes: IndexAction[] };
}

export function makeIndexMovesAtomic(db: DynaliteIndexModule): void {
  db.updateIndexes = (store, table, existing, item, cb) => {
    if (!existing && !item) return cb();
    const batches = new Map<IndexDb, { type: 'del' | 'put'; key: string; value?: unknown }[]>();
    for (const indexType of ['Local', 'Global'] as const) {
      const indexes = table[`${indexType}SecondaryIndexes`] ?? [];
      const { puts, deletes } = db.getIndexActions(indexes, existing, item, table);
      const batchOf = (index: string) => {
        const indexDb = store.getIndexDb(indexType, table.TableName, index);
        const batch = batches.get(indexDb) ?? [];
        batches.set(indexDb, batch);
        return batch;
      };
      // Deletes first, as dynalite orders them; a delete never names the key its put writes.
      for (const { index, key } of deletes) batchOf(index).push({ type: 'del', key });
      for (const { index, key, item: value } of puts) batchOf(index).push({ type: 'put', key, value });
    }
    let pending = batches.size;
    let failed = false;
    if (pending === 0) return cb();
    for (const [indexDb, operations] of batches) {
      indexDb.batch(operations, (error) => {
        if (failed) return;
        if (error) {
          failed = true;
          return cb(error);
        }
        pending -= 1;
        if (pending === 0) cb();
      });
    }
  };
}
