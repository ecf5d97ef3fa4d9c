import { createRequire } from 'node:module';
import { type DynaliteIndexModule, makeIndexMovesAtomic } from './dynalite-atomic-indexes.ts';
import { cacheParses, type ExpressionParser } from './dynalite-parse-cache.ts';
import { transactWriteItems, transactWriteItemsValidation } from './dynalite-transactions.ts';

/*
 * dynalite's store and its per-operation validation and action code, called directly: what its
 * HTTP layer (dynalite/index.js) does after it has parsed a request, without the socket. dynalite
 * exports only that HTTP server, so these are its internal modules; the version is pinned exactly
 * in package.json and the tests of the embedded store cover every operation aios uses.
 */

type Callback<T> = (error: DynaliteError | Error | null | undefined, value?: T) => void;

export interface DynaliteStoreOptions {
  /** LevelDB directory; omitted, the store lives in memory. */
  path?: string;
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}

interface TableDb {
  get(name: string, callback: Callback<unknown>): void;
  put(name: string, value: unknown, callback: Callback<unknown>): void;
  del(name: string, callback: Callback<unknown>): void;
  batch(operations: unknown[], callback: Callback<unknown>): void;
}

/** dynalite's LevelDB database (classic-level on disk, memory-level in memory), JSON values. */
interface LevelDb {
  readonly status: string;
  readonly supports: { getSync?: boolean };
  /** dynalite's callback form of abstract-level's get (dynalite/db/index.js wrapWithCallbacks). */
  get(key: string, callback: Callback<unknown>): void;
  getSync(key: string): unknown;
}

/** The object `dynalite/db`'s `create` returns, as far as aios touches it. */
export interface DynaliteStore {
  readonly db: LevelDb;
  readonly lifecycleManager: {
    gracefulClose(callback: (error?: Error | null) => void): void;
    getState(): 'open' | 'closing' | 'closed';
  };
  readonly tableDb: TableDb;
  getTable(name: string, checkStatus: boolean | Callback<unknown>, callback?: Callback<unknown>): void;
}

/**
 * What the item operations see of the store: the same store, with the table descriptions it
 * reads (one LevelDB read and decode per request in dynalite) kept in memory. Any write of a
 * description empties the cache, and a read that overlapped a write is not kept. The table
 * operations, which change the description objects they read, go to the store itself.
 */
interface EngineStore {
  store: DynaliteStore;
  forItems: DynaliteStore;
}

/** An error dynalite answers to the client: the status and the `__type` body DynamoDB would send. */
interface DynaliteError extends Error {
  statusCode: number;
  body: { __type: string; message?: string; Message?: string };
}

interface ActionValidation {
  types: Record<string, unknown>;
  custom?: unknown;
}

type Action = (store: DynaliteStore, data: Record<string, unknown>, callback: Callback<unknown>) => void;

interface Validations {
  checkTypes(data: unknown, types: ActionValidation['types']): Record<string, unknown>;
  checkValidations(
    data: Record<string, unknown>,
    types: ActionValidation['types'],
    custom: ActionValidation['custom'],
    store: DynaliteStore,
  ): void;
}

const require = createRequire(import.meta.url);
const db = require('dynalite/db') as DynaliteIndexModule & {
  create(options: DynaliteStoreOptions): DynaliteStore;
};
makeIndexMovesAtomic(db);
const validations = require('dynalite/validations') as Validations;
cacheParses(require('dynalite/db/conditionParser') as ExpressionParser);
cacheParses(require('dynalite/db/updateParser') as ExpressionParser);

/** The API versions and operations dynalite's HTTP layer accepts in X-Amz-Target. */
const API_VERSIONS = new Set(['DynamoDB_20111205', 'DynamoDB_20120810']);
const OPERATIONS = [
  'BatchGetItem',
  'BatchWriteItem',
  'CreateTable',
  'DeleteItem',
  'DeleteTable',
  'DescribeTable',
  'DescribeTimeToLive',
  'GetItem',
  'ListTables',
  'PutItem',
  'Query',
  'Scan',
  'TagResource',
  'UntagResource',
  'ListTagsOfResource',
  'UpdateItem',
  'UpdateTable',
] as const;

const lowerFirst = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);
const handlers = new Map(
  OPERATIONS.map((operation) => {
    const module = lowerFirst(operation);
    return [
      operation as string,
      {
        action: require(`dynalite/actions/${module}`) as Action,
        validation: require(`dynalite/validations/${module}`) as ActionValidation,
      },
    ];
  }),
);
// Not in dynalite 4: ours, on dynalite's store and its per-item actions (dynalite-transactions.ts).
handlers.set('TransactWriteItems', {
  action: transactWriteItems as unknown as Action,
  validation: transactWriteItemsValidation as unknown as ActionValidation,
});

export function createDynaliteStore(options: DynaliteStoreOptions): EngineStore {
  const store = db.create({ ...options });
  readInline(store);
  return { store, forItems: withTableCache(store) };
}

/**
 * Every read of dynalite (an item before each write, the item of a GetItem, each key of a
 * BatchGetItem, a table description) is one asynchronous LevelDB get: a trip through libuv's
 * thread pool and back that cost about 45 µs of CPU, where the same read done at once
 * (`getSync`, from LevelDB's memtable or block cache) costs about 3 µs (bench/level-reads.ts).
 * So reads are done at once, and their callback still runs later, as dynalite expects it to.
 * What a read sees is what LevelDB holds when it is made; with the pool it was what LevelDB held
 * whenever a thread got to it, so a read made while a write is on its way may see either, as
 * before. Writes stay asynchronous, and LevelDB is still the only place an item is kept.
 */
function readInline(store: DynaliteStore): void {
  const level = store.db;
  if (!level.supports.getSync) return;
  const readThroughPool = level.get.bind(level);
  level.get = (key, callback) => {
    // While it opens or closes, the pool's read keeps dynalite's own handling (queued, or refused).
    if (
      level.status !== 'open' ||
      store.lifecycleManager.getState() !== 'open' ||
      typeof callback !== 'function'
    )
      return readThroughPool(key, callback);
    let value: unknown;
    try {
      value = level.getSync(key);
    } catch (error) {
      queueMicrotask(() => callback(error as Error));
      return;
    }
    queueMicrotask(() => callback(null, value));
  };
}

/** Operations that read or change a table's description itself rather than its items. */
const TABLE_OPERATIONS = new Set([
  'CreateTable',
  'DeleteTable',
  'DescribeTable',
  'DescribeTimeToLive',
  'ListTables',
  'TagResource',
  'UntagResource',
  'ListTagsOfResource',
  'UpdateTable',
]);

function withTableCache(store: DynaliteStore): DynaliteStore {
  const tables = new Map<string, unknown>();
  let generation = 0;
  const { tableDb } = store;
  const changed =
    <A extends unknown[]>(write: (...args: A) => void) =>
    (...args: A) => {
      generation += 1;
      tables.clear();
      write(...args);
    };
  tableDb.put = changed(tableDb.put.bind(tableDb));
  tableDb.del = changed(tableDb.del.bind(tableDb));
  tableDb.batch = changed(tableDb.batch.bind(tableDb));
  const forItems: DynaliteStore = Object.create(store);
  (forItems as { getTable: DynaliteStore['getTable'] }).getTable = (name, checkStatus, callback) => {
    const done = (typeof checkStatus === 'function' ? checkStatus : callback) as Callback<unknown>;
    const cached = tables.get(name);
    if (cached !== undefined) return done(null, cached);
    const readAt = generation;
    store.getTable(name, checkStatus === true, (error, table) => {
      if (!error && readAt === generation && (table as { TableStatus?: string }).TableStatus === 'ACTIVE')
        tables.set(name, table);
      done(error, table);
    });
  };
  return forItems;
}

/** Resolves once the store's pending LevelDB operations are done and its database is closed. */
export function closeDynaliteStore({ store }: EngineStore): Promise<void> {
  return new Promise((resolve, reject) =>
    store.lifecycleManager.gracefulClose((error) => (error ? reject(error) : resolve())),
  );
}

/** A DynamoDB JSON answer: the HTTP status and the body, as dynalite's HTTP layer sends them. */
export interface DynamoDBAnswer {
  statusCode: number;
  body: string;
}

const answer = (statusCode: number, body: unknown): DynamoDBAnswer => ({
  statusCode,
  body: JSON.stringify(body),
});
const serializationError = () => answer(400, { __type: 'com.amazon.coral.service#SerializationException' });
const isDynaliteError = (error: unknown): error is DynaliteError =>
  typeof (error as DynaliteError | null)?.statusCode === 'number' &&
  typeof (error as DynaliteError).body === 'object';
/** dynalite's HTTP layer throws these (and so ends its process); here the one request fails. */
const internalError = (error: unknown) =>
  answer(500, {
    __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
    message: error instanceof Error ? error.message : String(error),
  });

/**
 * Answers one DynamoDB JSON request (`target` is the X-Amz-Target header, `body` its JSON) on
 * `store`, with the statuses and `__type` error bodies of dynalite's HTTP layer, so an SDK client
 * maps them to the same exceptions. Settles only once the action's writes are done.
 */
export function answerDynamoDBRequest(
  engine: EngineStore,
  target: string | undefined,
  body: string,
): Promise<DynamoDBAnswer> {
  let data: unknown;
  if (body) {
    try {
      data = JSON.parse(body);
    } catch {
      return Promise.resolve(serializationError());
    }
  }
  const [api, operation, ...rest] = (target ?? '').split('.');
  const handler = operation === undefined ? undefined : handlers.get(operation);
  if (rest.length > 0 || api === undefined || !API_VERSIONS.has(api) || handler === undefined)
    return Promise.resolve(answer(400, { __type: 'com.amazon.coral.service#UnknownOperationException' }));
  if (!body) return Promise.resolve(serializationError());
  const store = TABLE_OPERATIONS.has(operation as string) ? engine.store : engine.forItems;
  let input: Record<string, unknown>;
  try {
    input = validations.checkTypes(data, handler.validation.types);
    validations.checkValidations(input, handler.validation.types, handler.validation.custom, store);
  } catch (error) {
    return Promise.resolve(
      isDynaliteError(error) ? answer(error.statusCode, error.body) : internalError(error),
    );
  }
  return new Promise((resolve) => {
    try {
      handler.action(store, input, (error, output) => {
        if (error)
          resolve(isDynaliteError(error) ? answer(error.statusCode, error.body) : internalError(error));
        else resolve(answer(200, output));
      });
    } catch (error) {
      resolve(internalError(error));
    }
  });
}
