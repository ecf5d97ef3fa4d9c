import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDBStateStore } from '../../../functions/adapters/aws/dynamodb-state-store.ts';
import { ConflictError } from '../../../functions/core/errors.ts';
import type { StateStore } from '../../../functions/core/ports.ts';
import type { Intent } from '../../../functions/core/schemas.ts';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../../lib/local/embedded-dynamodb.ts';
import { TABLE_NAMES } from '../../../lib/local/table-definitions.ts';
import { runFixture } from '../../support/fixtures.ts';

let db: EmbeddedDynamoDB;
let store: StateStore;
let clock = new Date('2026-11-25T10:00:00.000Z');

beforeAll(async () => {
  db = await startEmbeddedDynamoDB({ tables: [TABLE_NAMES.state] });
  store = createDynamoDBStateStore({
    client: db.client,
    tableName: TABLE_NAMES.state,
    retentionDays: 1,
    now: () => clock,
  });
});
afterAll(async () => {
  await db.close();
});

const intent = (runId: string, stepIndex: number): Intent => ({
  runId,
  stepIndex,
  stepId: `s${stepIndex}`,
  title: `Step ${stepIndex}`,
  action: { type: 'state.upsert', params: { a: 1 } },
  idempotencyKey: `k-${runId}-${stepIndex}`,
  status: 'RECORDED',
  decision: 'allow',
  reason: 'ok',
  attempts: 0,
  recordedAt: clock.toISOString(),
});

describe('DynamoDB state store (against the embedded store)', () => {
  it('creates a run once; a second create is a conflict', async () => {
    await store.createRun(runFixture({ runId: 'run-a', status: 'QUEUED' }));
    await expect(store.createRun(runFixture({ runId: 'run-a' }))).rejects.toThrow(ConflictError);
    expect(await store.getRun('run-a')).toMatchObject({
      runId: 'run-a',
      status: 'QUEUED',
      input: { customerId: 'acme' },
    });
  });

  it('reads an entity as of a time: the newest version written then, past pages of later ones', async () => {
    const at = (minute: number) => new Date(Date.UTC(2026, 10, 1, 9, minute));
    let version: number | undefined;
    // 25 versions a minute apart: the one asked for lies past the adapter's first pages, newest first.
    for (let minute = 0; minute < 25; minute += 1) {
      version = (
        await store.putEntity(
          { type: 'ledger', id: 'asof', data: { minute }, updatedBy: `w${minute}` },
          version,
          at(minute),
        )
      ).version;
    }
    expect(await store.getEntityAsOf('ledger', 'asof', at(3).toISOString())).toMatchObject({
      version: 4,
      data: { minute: 3 },
    });
    // Between two writes: the earlier one.
    const between = new Date(at(7).getTime() + 30_000).toISOString();
    expect((await store.getEntityAsOf('ledger', 'asof', between))?.version).toBe(8);
    expect((await store.getEntityAsOf('ledger', 'asof', at(60).toISOString()))?.version).toBe(25);
    expect(await store.getEntityAsOf('ledger', 'asof', '2026-10-01T00:00:00.000Z')).toBeUndefined();
    expect(await store.getEntityAsOf('ledger', 'nothing', at(60).toISOString())).toBeUndefined();
  });

  it('guards run transitions with their expected status and lists runs by status, newest first', async () => {
    await store.createRun(
      runFixture({ runId: 'run-b', status: 'QUEUED', createdAt: '2026-11-25T11:00:00.000Z' }),
    );
    await store.updateRun('run-b', ['QUEUED'], { status: 'RUNNING' });
    await expect(store.updateRun('run-b', ['QUEUED'], { status: 'RUNNING' })).rejects.toThrow(ConflictError);
    expect((await store.listRuns({ status: 'RUNNING' })).map((r) => r.runId)).toEqual(['run-b']);
    expect((await store.listRuns({ status: 'QUEUED' })).map((r) => r.runId)).toEqual(['run-a']);
    expect((await store.listRuns()).map((r) => r.runId)).toEqual(['run-b', 'run-a']);
  });

  it('lists the runs created in a window, bounds as keys: since included, before left out', async () => {
    for (const [runId, createdAt] of [
      ['since-1', '2026-11-20T09:00:00.000Z'],
      ['since-2', '2026-11-20T09:30:00.000Z'],
      ['since-3', '2026-11-20T10:00:00.000Z'],
    ] as const)
      await store.createRun(runFixture({ runId, status: 'QUEUED', createdAt }));
    const ids = async (query: Parameters<StateStore['listRuns']>[0]) =>
      (await store.listRuns(query)).map((r) => r.runId).filter((id) => id.startsWith('since-'));
    expect(await ids({ createdSince: '2026-11-20T09:30:00.000Z' })).toEqual(['since-3', 'since-2']);
    expect(
      await ids({ createdSince: '2026-11-20T09:30:00.000Z', createdBefore: '2026-11-20T10:00:00.000Z' }),
    ).toEqual(['since-2']);
    expect(
      await ids({ createdSince: '2026-11-20T10:00:00.000Z', createdBefore: '2026-11-20T09:00:00.000Z' }),
    ).toEqual([]);
  });

  it('records an intent once and keeps the first on a second record', async () => {
    await store.recordIntent(intent('run-a', 0));
    const again = await store.recordIntent({ ...intent('run-a', 0), reason: 'changed' });
    expect(again.reason).toBe('ok');
    await store.recordIntent(intent('run-a', 1));
    expect((await store.listIntents('run-a')).map((i) => i.stepIndex)).toEqual([0, 1]);
  });

  it('reads an intent with its run (and the gateway its breaker) in one request, each absent when it is not there', async () => {
    const doc = DynamoDBDocumentClient.from(db.client);
    await store.createRun(runFixture({ runId: 'run-both', status: 'RUNNING' }));
    await store.recordIntent(intent('run-both', 3));
    const operations: string[] = [];
    db.client.middlewareStack.add(
      (next, context) => (args) => {
        operations.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize', name: 'countIntentWithRun' },
    );
    try {
      const both = await store.getIntentWithRun('run-both', 3);
      expect(operations).toEqual(['BatchGetItemCommand']);
      expect(both).toEqual({
        intent: await store.getIntent('run-both', 3),
        run: await store.getRun('run-both'),
      });
      expect(both.run).toMatchObject({ runId: 'run-both', status: 'RUNNING' });
      expect(both.intent).toMatchObject({ runId: 'run-both', stepIndex: 3, status: 'RECORDED' });
      expect(await store.getIntentWithRun('run-both', 4)).toEqual({ run: both.run });
      expect(await store.getIntentWithRun('run-none', 0)).toEqual({});

      // The gateway's read: the breaker's item too, in the same one request.
      operations.length = 0;
      const none = await store.getIntentWithRunAndBreaker('run-both', 3, 'http.request:joined');
      expect(none).toEqual({
        ...both,
        breaker: { store: TABLE_NAMES.state, key: 'http.request:joined', item: undefined },
      });
      await doc.send(
        new PutCommand({
          TableName: TABLE_NAMES.state,
          Item: {
            pk: 'BREAKER#http.request:joined',
            sk: 'BREAKER',
            state: 'open',
            failureTimes: [],
            version: 2,
          },
        }),
      );
      const open = await store.getIntentWithRunAndBreaker('run-both', 3, 'http.request:joined');
      expect(open.breaker?.item).toMatchObject({ state: 'open', version: 2 });
      expect(open.intent).toEqual(both.intent);
      expect(operations).toEqual(['BatchGetItemCommand', 'PutItemCommand', 'BatchGetItemCommand']);
    } finally {
      db.client.middlewareStack.remove('countIntentWithRun');
    }
  });

  it('guards intent transitions and removes fields patched to undefined', async () => {
    await store.updateIntent('run-a', 0, ['RECORDED'], { status: 'EXECUTING', error: 'x' });
    await expect(store.updateIntent('run-a', 0, ['RECORDED'], { status: 'EXECUTING' })).rejects.toThrow(
      ConflictError,
    );
    const done = await store.updateIntent('run-a', 0, ['EXECUTING'], {
      status: 'SUCCEEDED',
      error: undefined,
    });
    expect(done.status).toBe('SUCCEEDED');
    expect(done.error).toBeUndefined();
  });

  it("claims an intent for one attempt at a time: the lease, the attempts count and the holder's writes", async () => {
    await store.recordIntent(intent('run-lease', 0));
    const at = (ms: number) => new Date(clock.getTime() + ms).toISOString();
    const claim = (owner: string, attempts: number, now: number, extra = {}) =>
      store.claimIntent('run-lease', 0, {
        owner,
        attempts,
        now: at(now),
        leaseExpiresAt: at(now + 1000),
        ...extra,
      });

    expect(await claim('a#1', 0, 0)).toMatchObject({
      status: 'EXECUTING',
      attempts: 1,
      leaseOwner: 'a#1',
      leaseExpiresAt: at(1000),
      startedAt: at(0),
    });
    // Read before the first claim (attempts 0), or while the lease is live: both lose.
    await expect(claim('b#1', 0, 10)).rejects.toThrow(ConflictError);
    await expect(claim('b#1', 1, 500)).rejects.toThrow(ConflictError);
    // Only the holder finishes it.
    await expect(
      store.updateIntent('run-lease', 0, ['EXECUTING'], { status: 'SUCCEEDED' }, { leaseOwner: 'b#1' }),
    ).rejects.toThrow(ConflictError);
    // A lapsed lease, or one named as superseded, may be taken over.
    expect(await claim('a#2', 1, 500, { supersedes: 'a#1' })).toMatchObject({
      attempts: 2,
      leaseOwner: 'a#2',
    });
    expect(await claim('c#1', 2, 2000)).toMatchObject({ attempts: 3, leaseOwner: 'c#1', startedAt: at(0) });
    const done = await store.updateIntent(
      'run-lease',
      0,
      ['EXECUTING'],
      { status: 'SUCCEEDED', leaseOwner: undefined, leaseExpiresAt: undefined },
      { leaseOwner: 'c#1' },
    );
    expect(done.status).toBe('SUCCEEDED');
    expect(done.leaseOwner).toBeUndefined();
    await expect(claim('d#1', 3, 5000)).rejects.toThrow(ConflictError);
  });

  it('saves a plan once', async () => {
    const plan = {
      runId: 'run-a',
      steps: [{ id: 'a', title: 'A', action: { type: 'state.upsert', params: {} } }],
      modelId: 'm',
      createdAt: 't',
    };
    await store.savePlan(plan);
    const second = await store.savePlan({ ...plan, modelId: 'other' });
    expect(second.modelId).toBe('m');
  });

  it('keeps the journal in order', async () => {
    for (const message of ['one', 'two', 'three']) {
      await store.appendJournal({ runId: 'run-a', at: clock.toISOString(), kind: 'run', message });
    }
    expect((await store.listJournal('run-a')).map((e) => e.message)).toEqual(['one', 'two', 'three']);
  });

  it('versions entities with optimistic concurrency and lets the same writer repeat its write', async () => {
    const v1 = await store.putEntity(
      { type: 'customer', id: 'acme', data: { n: 1 }, updatedBy: 'k1' },
      undefined,
      clock,
    );
    expect(v1.version).toBe(1);
    await expect(
      store.putEntity({ type: 'customer', id: 'acme', data: { n: 2 }, updatedBy: 'k2' }, undefined, clock),
    ).rejects.toThrow(ConflictError);
    const v2 = await store.putEntity(
      { type: 'customer', id: 'acme', data: { n: 2 }, updatedBy: 'k2' },
      1,
      clock,
    );
    expect(v2.version).toBe(2);
    // A writer that crashed after its history write but before LATEST can finish its own write.
    const again = await store.putEntity(
      { type: 'customer', id: 'acme', data: { n: 2 }, updatedBy: 'k2' },
      1,
      clock,
    );
    expect(again.version).toBe(2);
    expect(await store.getEntity('customer', 'acme')).toMatchObject({ version: 2, data: { n: 2 } });
  });

  it('hides run items past their TTL even before DynamoDB deletes them', async () => {
    await store.createRun(runFixture({ runId: 'run-old' }));
    await store.recordIntent(intent('run-old', 0));
    clock = new Date(clock.getTime() + 2 * 86_400_000);
    expect(await store.getRun('run-old')).toBeUndefined();
    expect(await store.getIntentWithRun('run-old', 0)).toEqual({});
    expect(await store.listRuns()).toEqual([]);
    clock = new Date('2026-11-25T10:00:00.000Z');
  });
});

describe('the audit log: a partition of its own, append-only', () => {
  const entry = (runId: string, at: string, outcome: 'executed' | 'approved') => ({
    runId,
    stepIndex: 0,
    at,
    outcome,
    actionType: 'email.send',
    agent: 'gateway',
    reason: 'r',
  });

  it('keeps entries under AUDIT#<run id> (what IAM tells apart), lists legacy RUN# entries too, in time order', async () => {
    const doc = DynamoDBDocumentClient.from(db.client);
    // Written before the audit log had its own partition.
    await doc.send(
      new PutCommand({
        TableName: TABLE_NAMES.state,
        Item: {
          pk: 'RUN#audit-1',
          sk: 'AUDIT#2026-11-25T10:00:01.000Z#000001abc',
          ...entry('audit-1', '2026-11-25T10:00:01.000Z', 'executed'),
        },
      }),
    );
    await store.appendAudit(entry('audit-1', '2026-11-25T10:00:02.000Z', 'approved'));
    await store.appendAudit(entry('audit-1', '2026-11-25T10:00:00.000Z', 'executed'));
    const own = await doc.send(
      new QueryCommand({
        TableName: TABLE_NAMES.state,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'AUDIT#audit-1' },
      }),
    );
    expect(own.Items).toHaveLength(2);
    expect((await store.listAudit('audit-1')).map((e) => e.at)).toEqual([
      '2026-11-25T10:00:00.000Z',
      '2026-11-25T10:00:01.000Z',
      '2026-11-25T10:00:02.000Z',
    ]);
  });

  it('writes an entry with an id once, however often (and however concurrently) it is appended', async () => {
    const same = entry('audit-2', '2026-11-25T10:00:00.000Z', 'approved');
    await Promise.all([1, 2, 3].map(() => store.appendAudit(same, { id: 'settlement-x' })));
    await store.appendAudit({ ...same, reason: 'a second writer' }, { id: 'settlement-x' });
    expect(await store.listAudit('audit-2')).toEqual([same]);
  });
});

describe('writes that share one commit (one TransactWriteItems)', () => {
  /** The store's requests while `run` runs, by command name. */
  const requestsOf = async (run: () => Promise<unknown>) => {
    const requests: string[] = [];
    const name = `count-${Math.random()}`;
    db.client.middlewareStack.add(
      (next, context) => (args) => {
        requests.push(context.commandName ?? '');
        return next(args);
      },
      { step: 'initialize', name },
    );
    try {
      await run();
    } finally {
      db.client.middlewareStack.remove(name);
    }
    return requests;
  };
  const logs = (runId: string, at: string, id?: string) => ({
    journal: { entry: { runId, at, kind: 'decision' as const, message: 'decided' }, ...(id ? { id } : {}) },
    audit: {
      entry: {
        runId,
        stepIndex: 0,
        at,
        outcome: 'allowed' as const,
        actionType: 'state.upsert',
        agent: 'executor',
        reason: 'first',
      },
      ...(id ? { id } : {}),
    },
  });

  it('records a new intent with its journal and audit entries in one request, and on a repeat writes nothing', async () => {
    const first = intent('txn-1', 0);
    const requests = await requestsOf(() =>
      store.recordIntentWithLogs(first, logs('txn-1', first.recordedAt, 'decision-0')),
    );
    expect(requests).toEqual(['TransactWriteItemsCommand']);
    expect(await store.getIntent('txn-1', 0)).toEqual(first);
    expect((await store.listJournal('txn-1')).map((e) => e.message)).toEqual(['decided']);
    expect((await store.listAudit('txn-1')).map((e) => e.outcome)).toEqual(['allowed']);

    const repeat = { ...first, reason: 'a later decision', recordedAt: '2026-11-25T10:00:05.000Z' };
    const again = await store.recordIntentWithLogs(repeat, logs('txn-1', repeat.recordedAt, 'decision-0'));
    expect(again).toEqual({ intent: first, created: false });
    // Neither the intent nor any entry of the repeat was written: they share the intent's fate.
    expect(await store.listJournal('txn-1')).toHaveLength(1);
    expect(await store.listAudit('txn-1')).toHaveLength(1);
  });

  it('never overwrites a log entry: an entry already there cancels the whole commit', async () => {
    const at = '2026-11-25T10:00:00.000Z';
    await store.appendAudit(logs('txn-2', at).audit.entry, { id: 'taken' });
    await expect(
      store.recordIntentWithLogs(intent('txn-2', 0), {
        ...logs('txn-2', at),
        audit: { entry: { ...logs('txn-2', at).audit.entry, reason: 'other' }, id: 'taken' },
      }),
    ).rejects.toThrow(ConflictError);
    expect(await store.getIntent('txn-2', 0)).toBeUndefined();
    expect(await store.listJournal('txn-2')).toEqual([]);
    expect((await store.listAudit('txn-2')).map((e) => e.reason)).toEqual(['first']);
  });

  it('updates an intent with its journal and audit entries in one request, or none of them on a conflict', async () => {
    await store.recordIntent(intent('txn-3', 0));
    await store.claimIntent('txn-3', 0, {
      owner: 'me',
      leaseExpiresAt: '2026-11-25T10:05:00.000Z',
      now: clock.toISOString(),
      attempts: 0,
    });
    const at = '2026-11-25T10:00:01.000Z';
    await expect(
      store.updateIntentWithLogs(
        'txn-3',
        0,
        ['EXECUTING'],
        { status: 'SUCCEEDED' },
        { leaseOwner: 'other' },
        logs('txn-3', at),
      ),
    ).rejects.toThrow(ConflictError);
    expect(await store.listJournal('txn-3')).toEqual([]);
    expect(await store.listAudit('txn-3')).toEqual([]);
    const requests = await requestsOf(() =>
      store.updateIntentWithLogs(
        'txn-3',
        0,
        ['EXECUTING'],
        { status: 'SUCCEEDED', leaseOwner: undefined },
        { leaseOwner: 'me' },
        logs('txn-3', at),
      ),
    );
    expect(requests).toEqual(['TransactWriteItemsCommand']);
    const updated = await store.getIntent('txn-3', 0);
    expect(updated?.status).toBe('SUCCEEDED');
    expect(updated?.leaseOwner).toBeUndefined();
    expect(await store.listJournal('txn-3')).toHaveLength(1);
    expect(await store.listAudit('txn-3')).toHaveLength(1);
  });

  it('writes an entity version and LATEST in one request, and neither when LATEST moved on', async () => {
    const requests = await requestsOf(() =>
      store.putEntity({ type: 'txn', id: 'e', data: { n: 1 }, updatedBy: 'w1' }, undefined, clock),
    );
    expect(requests).toEqual(['TransactWriteItemsCommand']);
    await store.putEntity({ type: 'txn', id: 'e', data: { n: 2 }, updatedBy: 'w2' }, 1, clock);
    // A writer that read v1 loses to w2, and one that read a version LATEST never had writes no
    // version of its own either: the history keeps only versions LATEST had.
    await expect(
      store.putEntity({ type: 'txn', id: 'e', data: { n: 3 }, updatedBy: 'w3' }, 1, clock),
    ).rejects.toThrow(/v2 was written by another writer/);
    await expect(
      store.putEntity({ type: 'txn', id: 'e', data: { n: 3 }, updatedBy: 'w3' }, 5, clock),
    ).rejects.toThrow(/changed since v5/);
    expect(await store.getEntityVersion('txn', 'e', 6)).toBeUndefined();
    expect(await store.getEntityVersion('txn', 'e', 2)).toMatchObject({ updatedBy: 'w2', data: { n: 2 } });
    expect(await store.getEntity('txn', 'e')).toMatchObject({ version: 2, data: { n: 2 } });
  });
});
