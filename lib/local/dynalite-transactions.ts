import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';

/*
 * TransactWriteItems for the in-process dynalite store (dynalite 4 has none), with DynamoDB's
 * semantics: every item's condition is checked with all the transaction's items locked, and then
 * all the writes, items and their index entries together, go to LevelDB in one batch, which a
 * reader sees whole or not at all, and which a kill -9 leaves whole or absent (LevelDB's log
 * replays a batch entirely or drops it). Each Put, Update and Delete runs dynalite's own action
 * against a staging view of the store that reads the real items and collects the writes instead
 * of making them, so conditions, update expressions and index entries are computed exactly as a
 * single-item request computes them.
 *
 * Serialisation: dynalite serialises writes per item with a per-table lock keyed by the item's
 * key, taken by PutItem, UpdateItem and DeleteItem from before their read to after their write.
 * A transaction takes the same locks for all its items before it reads any of them and keeps them
 * until its batch is written. The `lock` module enqueues a list of keys in one synchronous step,
 * and tables are locked in name order, so two transactions never wait on each other in a cycle.
 */

type Callback<T = unknown> = (error?: Error | null, value?: T) => void;
type Item = Record<string, unknown>;
type BatchOperation = { type: 'put' | 'del'; key: string; value?: unknown };

interface TableDescription {
  TableName: string;
  KeySchema: { AttributeName: string }[];
}

interface ItemDb {
  lock: ((key: string, exec: (release: Release) => void) => void) &
    ((keys: string[], exec: (release: Release) => void) => void);
  get(key: string, callback: Callback<Item>): void;
}
type Release = (done: Callback) => Callback;

/** The parts of dynalite's store object (`dynalite/db`'s `create`) a transaction uses. */
export interface TransactionStore {
  options: { maxItemSize: number };
  db: { batch(operations: BatchOperation[], callback: Callback): void };
  getTable(name: string, checkStatus: boolean | Callback, callback?: Callback): void;
  getItemDb(name: string): ItemDb;
}

interface DynaliteDb {
  validateItem(item: Item, table: TableDescription): Error | undefined;
  validateKey(key: Item, table: TableDescription): Error | undefined;
  createKey(item: Item, table: TableDescription): string;
  checkConditional(data: Item, existing: Item | undefined): Error | undefined;
  itemSize(item: Item): number;
  validationError(message: string): Error;
}

interface OperationValidation {
  types: Record<string, unknown>;
  custom(data: Item, store: unknown): string | undefined;
}
type Action = (store: unknown, data: Item, callback: Callback<Item>) => void;

const require = createRequire(import.meta.url);
const db = require('dynalite/db') as DynaliteDb;
const validations = require('dynalite/validations') as {
  checkValidations(data: Item, types: unknown, custom: OperationValidation['custom'], store: unknown): void;
};

type Kind = 'Put' | 'Update' | 'Delete' | 'ConditionCheck';
const KINDS: readonly Kind[] = ['ConditionCheck', 'Put', 'Delete', 'Update'];

const opValidation = (module: string): OperationValidation =>
  require(`dynalite/validations/${module}`) as OperationValidation;
const RETURN_ON_FAILURE = { type: 'String', enum: ['ALL_OLD', 'NONE'] };
/** Each kind's own parameters, checked as its single-item request's are (ConditionCheck as a Delete's). */
const KIND_VALIDATION: Record<Kind, OperationValidation & { action?: Action }> = {
  Put: { ...opValidation('putItem'), action: require('dynalite/actions/putItem') as Action },
  Update: { ...opValidation('updateItem'), action: require('dynalite/actions/updateItem') as Action },
  Delete: { ...opValidation('deleteItem'), action: require('dynalite/actions/deleteItem') as Action },
  ConditionCheck: opValidation('deleteItem'),
};
/** What a TransactWriteItem's member may hold: its single-item request's parameters minus the ones a transaction does not take. */
const kindTypes = (kind: Kind) => {
  const {
    ReturnValues: _returnValues,
    ReturnConsumedCapacity: _capacity,
    ReturnItemCollectionMetrics: _metrics,
    Expected: _expected,
    ConditionalOperator: _operator,
    AttributeUpdates: _updates,
    ...types
  } = KIND_VALIDATION[kind].types;
  return { ...types, ReturnValuesOnConditionCheckFailure: RETURN_ON_FAILURE };
};

const MAX_ITEMS = 100;
const MAX_BYTES = 4 * 1024 * 1024;
/** How long DynamoDB holds a ClientRequestToken. */
const TOKEN_MS = 10 * 60 * 1000;

export const transactWriteItemsValidation = {
  types: {
    ReturnConsumedCapacity: { type: 'String', enum: ['INDEXES', 'TOTAL', 'NONE'] },
    ReturnItemCollectionMetrics: { type: 'String', enum: ['SIZE', 'NONE'] },
    ClientRequestToken: { type: 'String', lengthGreaterThanOrEqual: 1, lengthLessThanOrEqual: 36 },
    TransactItems: {
      type: 'List',
      notNull: true,
      lengthGreaterThanOrEqual: 1,
      lengthLessThanOrEqual: MAX_ITEMS,
      children: {
        type: 'ValueStruct<TransactWriteItem>',
        children: Object.fromEntries(
          KINDS.map((kind) => [kind, { type: `FieldStruct<${kind}>`, children: kindTypes(kind) }]),
        ),
      },
    },
  },
  custom(data: Item, store: unknown): string | undefined {
    const members = data.TransactItems as Item[];
    // Taken before the members' own validation adds its parses to them.
    data._digest = createHash('sha256')
      .update(
        JSON.stringify([
          members,
          data.ReturnConsumedCapacity ?? null,
          data.ReturnItemCollectionMetrics ?? null,
        ]),
      )
      .digest('base64');
    const operations: TransactionOperation[] = [];
    let bytes = 0;
    for (const member of members) {
      const kinds = KINDS.filter((kind) => member[kind] !== undefined);
      if (kinds.length !== 1) return 'TransactItems can only contain one of Check, Put, Update or Delete';
      const kind = kinds[0] as Kind;
      const request = member[kind] as Item;
      const returnOnFailure = request.ReturnValuesOnConditionCheckFailure;
      delete request.ReturnValuesOnConditionCheckFailure;
      if (kind === 'ConditionCheck' && request.ConditionExpression === undefined)
        return "The parameter 'ConditionExpression' is required but was not present in the request";
      if (kind === 'Update' && request.UpdateExpression === undefined)
        return "The parameter 'UpdateExpression' is required but was not present in the request";
      const { types, custom } = KIND_VALIDATION[kind];
      validations.checkValidations(request, types, custom, store);
      bytes += db.itemSize((request.Item ?? request.Key) as Item);
      operations.push({ kind, request, returnOld: returnOnFailure === 'ALL_OLD' });
    }
    if (bytes > MAX_BYTES) return 'Transaction size has exceeded the maximum allowed size of 4 MB';
    data._operations = operations;
    return undefined;
  },
};

interface TransactionOperation {
  kind: Kind;
  request: Item;
  returnOld: boolean;
}

interface DynaliteError extends Error {
  statusCode: number;
  body: { __type: string; message?: string };
}

const dynamoError = (type: string, message: string, extra: Item = {}): DynaliteError =>
  Object.assign(new Error(message), {
    statusCode: 400,
    body: { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message, ...extra },
  });

/** A ClientRequestToken's request, held for 10 minutes as DynamoDB holds it. */
interface HeldToken {
  digest: string;
  done: boolean;
  expiresAt: number;
}

/**
 * The tokens of one store, kept in this process: a retry of a request that reached the store
 * (the SDK retries with the same token) is answered without writing again. A store opened anew
 * has none, as its clients in this process are new too; a client in another process whose
 * retry meets a restarted store has its request applied again, with its conditions checked.
 */
const tokensByStore = new WeakMap<object, Map<string, HeldToken>>(); // keyed by the LevelDB database

function tokensOf(store: object): Map<string, HeldToken> {
  let tokens = tokensByStore.get(store);
  if (!tokens) {
    tokens = new Map();
    tokensByStore.set(store, tokens);
  }
  return tokens;
}

/** Forgets the expired tokens; a Map keeps insertion order, and entries are inserted as they settle. */
function forgetExpired(tokens: Map<string, HeldToken>, now: number): void {
  for (const [token, held] of tokens) {
    if (held.expiresAt > now || !held.done) break;
    tokens.delete(token);
  }
}

const reasonCode = (error: DynaliteError): string => {
  const type = error.body.__type.split('#')[1] ?? '';
  if (type === 'ConditionalCheckFailedException') return 'ConditionalCheckFailed';
  if (type === 'ValidationException') return 'ValidationError';
  return type;
};

const isDynaliteError = (error: unknown): error is DynaliteError =>
  typeof (error as DynaliteError | null)?.statusCode === 'number' &&
  typeof (error as DynaliteError).body === 'object';

interface Staged {
  operation: TransactionOperation;
  table: TableDescription;
  key: string;
}

/** What one operation came to against the staging view: its writes, or why it cannot be made. */
interface Outcome {
  writes: BatchOperation[];
  existing?: Item;
  failure?: DynaliteError;
}

const ITEM_PREFIX = (table: string) => `item-${table}~`;
const INDEX_PREFIX = (type: string, table: string, index: string) =>
  `index-${type.toLowerCase()}~${table}~${index}~`;

export function transactWriteItems(store: TransactionStore, data: Item, callback: Callback<Item>): void {
  const operations = data._operations as TransactionOperation[];
  const token = data.ClientRequestToken as string | undefined;
  const digest = data._digest as string;
  const tokens = tokensOf(store.db);
  if (token !== undefined) {
    const now = Date.now();
    forgetExpired(tokens, now);
    const held = tokens.get(token);
    if (held && held.expiresAt > now) {
      if (held.digest !== digest)
        callback(
          dynamoError(
            'IdempotentParameterMismatchException',
            'Transaction request parameters differ from those of an earlier request with this ClientRequestToken',
          ),
        );
      else if (!held.done)
        callback(
          dynamoError(
            'TransactionInProgressException',
            'Transaction is in progress with this ClientRequestToken',
          ),
        );
      // Made already: answered as a success, and nothing is written again.
      else callback(null, {});
      return;
    }
    tokens.set(token, { digest, done: false, expiresAt: now + TOKEN_MS });
  }
  const settle: Callback<Item> = (error, value) => {
    if (token !== undefined) {
      tokens.delete(token);
      if (!error) tokens.set(token, { digest, done: true, expiresAt: Date.now() + TOKEN_MS });
    }
    callback(error, value);
  };
  loadTables(store, operations, (error, tables) => {
    if (error || !tables) return settle(error);
    let staged: Staged[];
    try {
      staged = stage(operations, tables);
    } catch (failure) {
      return settle(failure as Error);
    }
    lockAll(store, staged, (release) => {
      const done = release(settle as Callback);
      runAll(store, tables, staged, (runError, outcomes) => {
        if (runError || !outcomes) return done(runError);
        const failures = outcomes.map((outcome) => outcome.failure);
        if (failures.some((failure) => failure !== undefined)) {
          const unexpected = failures.find((failure) => failure && !isDynaliteError(failure));
          if (unexpected) return done(unexpected);
          return done(cancelled(staged, outcomes));
        }
        store.db.batch(
          outcomes.flatMap((outcome) => outcome.writes),
          (writeError) => (writeError ? done(writeError) : (done as Callback<Item>)(null, {})),
        );
      });
    });
  });
}

function loadTables(
  store: TransactionStore,
  operations: TransactionOperation[],
  callback: Callback<Map<string, TableDescription>>,
): void {
  const names = [...new Set(operations.map(({ request }) => request.TableName as string))];
  const tables = new Map<string, TableDescription>();
  let pending = names.length;
  let failed = false;
  for (const name of names) {
    store.getTable(name, false, (error, table) => {
      if (failed) return;
      if (error) {
        failed = true;
        return callback(error);
      }
      tables.set(name, table as TableDescription);
      pending -= 1;
      if (pending === 0) callback(null, tables);
    });
  }
}

/** Each operation's table and item key; two operations on one item are refused, as DynamoDB does. */
function stage(operations: TransactionOperation[], tables: Map<string, TableDescription>): Staged[] {
  const seen = new Set<string>();
  return operations.map((operation) => {
    const table = tables.get(operation.request.TableName as string) as TableDescription;
    const keyed = (operation.kind === 'Put' ? operation.request.Item : operation.request.Key) as Item;
    const invalid = operation.kind === 'Put' ? db.validateItem(keyed, table) : db.validateKey(keyed, table);
    if (invalid) throw invalid;
    const key = db.createKey(keyed, table);
    const itemId = `${table.TableName}\u0000${key}`;
    if (seen.has(itemId))
      throw db.validationError('Transaction request cannot include multiple operations on one item');
    seen.add(itemId);
    return { operation, table, key };
  });
}

function lockAll(store: TransactionStore, staged: Staged[], exec: (release: Release) => void): void {
  const keysByTable = new Map<string, string[]>();
  for (const { table, key } of staged) {
    const keys = keysByTable.get(table.TableName) ?? [];
    keys.push(key);
    keysByTable.set(table.TableName, keys);
  }
  const names = [...keysByTable.keys()].sort();
  const releases: Release[] = [];
  const next = (index: number): void => {
    const name = names[index];
    if (name === undefined) {
      exec((done) => releases.reduceRight<Callback>((inner, release) => release(inner), done as Callback));
      return;
    }
    store.getItemDb(name).lock(keysByTable.get(name) as string[], (release) => {
      releases.push(release);
      next(index + 1);
    });
  };
  next(0);
}

function runAll(
  store: TransactionStore,
  tables: Map<string, TableDescription>,
  staged: Staged[],
  callback: Callback<Outcome[]>,
): void {
  const outcomes: Outcome[] = new Array(staged.length);
  let pending = staged.length;
  let failed = false;
  staged.forEach((entry, index) => {
    runOne(store, tables, entry, (error, outcome) => {
      if (failed) return;
      if (error || !outcome) {
        failed = true;
        return callback(error);
      }
      outcomes[index] = outcome;
      pending -= 1;
      if (pending === 0) callback(null, outcomes);
    });
  });
}

/**
 * Runs one operation's dynalite action against a view of the store that reads the real item
 * (locked by the transaction) and collects the writes of the item and its index entries, with
 * the keys they have in the one LevelDB database all tables share.
 */
function runOne(
  store: TransactionStore,
  tables: Map<string, TableDescription>,
  { operation, table }: Staged,
  callback: Callback<Outcome>,
): void {
  const outcome: Outcome = { writes: [] };
  const realItems = store.getItemDb(table.TableName);
  const readItem = (key: string, read: Callback<Item>) =>
    realItems.get(key, (error, item) => {
      if (error && error.name !== 'NotFoundError') return read(error);
      outcome.existing = error ? undefined : item;
      read(error, item);
    });
  const { action } = KIND_VALIDATION[operation.kind];
  const request: Item = { ...operation.request, TableName: table.TableName };
  if (!action) {
    readItem(db.createKey(request.Key as Item, table), (error, item) => {
      if (error && error.name !== 'NotFoundError') return callback(error);
      const failure = db.checkConditional(request, error ? undefined : item);
      callback(null, failure ? { ...outcome, failure: failure as DynaliteError } : outcome);
    });
    return;
  }
  const staging = Object.create(store) as Item;
  staging.getTable = (name: string, checkStatus: boolean | Callback, done?: Callback) =>
    ((typeof checkStatus === 'function' ? checkStatus : done) as Callback)(null, tables.get(name));
  staging.getItemDb = (name: string) => ({
    lock: (_key: string, exec: (release: Release) => void) => exec((done) => done),
    get: readItem,
    put: (key: string, value: unknown, done: Callback) => {
      outcome.writes.push({ type: 'put', key: ITEM_PREFIX(name) + key, value });
      done(null);
    },
    del: (key: string, done: Callback) => {
      outcome.writes.push({ type: 'del', key: ITEM_PREFIX(name) + key });
      done(null);
    },
  });
  staging.getIndexDb = (type: string, tableName: string, index: string) => ({
    batch: (writes: BatchOperation[], done: Callback) => {
      const prefix = INDEX_PREFIX(type, tableName, index);
      for (const write of writes) outcome.writes.push({ ...write, key: prefix + write.key });
      done(null);
    },
  });
  action(staging, request, (error) => {
    if (!error) return callback(null, outcome);
    if (!isDynaliteError(error)) return callback(error);
    callback(null, { writes: [], existing: outcome.existing, failure: error });
  });
}

function cancelled(staged: Staged[], outcomes: Outcome[]): DynaliteError {
  const reasons = outcomes.map(({ failure, existing }, index) => {
    if (!failure) return { Code: 'None' };
    const code = reasonCode(failure);
    return {
      Code: code,
      Message: failure.body.message ?? failure.message,
      ...(code === 'ConditionalCheckFailed' && staged[index]?.operation.returnOld && existing
        ? { Item: existing }
        : {}),
    };
  });
  return dynamoError(
    'TransactionCanceledException',
    `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((reason) => reason.Code).join(', ')}]`,
    { CancellationReasons: reasons },
  );
}
