import { describe, expect, it } from 'vitest';
import { IdempotencyKeyReusedError, ValidationError } from '../../../functions/core/errors.ts';
import type { ExecutionState, Orchestrator, StateStore } from '../../../functions/core/ports.ts';
import { createRunsService } from '../../../functions/core/runs-service.ts';
import { shippedCatalog } from '../../../functions/shipped-playbooks.ts';
import { createMemoryRunStartClaims } from '../../support/memory-run-start-claims.ts';
import { createMemoryStateStore } from '../../support/memory-state-store.ts';

const input = {
  customerId: 'acme',
  name: 'Acme Studio',
  email: 'billing@acme.example',
  setupFee: 1500,
  crmWebhookUrl: 'http://127.0.0.1:9/crm',
};
const request = { workflow: 'onboarding', input };

/**
 * An orchestrator like Step Functions: one execution per name; starting a name again is refused
 * with ExecutionAlreadyExists. `failNextStarts` makes the next starts fail before anything starts.
 * `executions` maps each name to its status.
 */
function fakeOrchestrator() {
  const executions = new Map<string, ExecutionState>();
  const attempts: string[] = [];
  let failNextStarts = 0;
  const orchestrator: Orchestrator = {
    async stopRun() {},
    async startRun(runId) {
      attempts.push(runId);
      if (failNextStarts > 0) {
        failNextStarts -= 1;
        throw new Error('the orchestrator is not reachable');
      }
      if (executions.has(runId))
        throw Object.assign(new Error(`Execution already exists: ${runId}`), {
          name: 'ExecutionAlreadyExists',
        });
      executions.set(runId, { status: 'RUNNING' });
    },
    async execution(runId) {
      return executions.get(runId);
    },
    async history() {
      return [];
    },
  };
  return {
    orchestrator,
    executions,
    attempts,
    failNext(count: number) {
      failNextStarts = count;
    },
  };
}

/** A store whose process dies writing its first run record: the claim is on record, the run not. */
function diesBeforeTheFirstRunRecord(): StateStore {
  const store = createMemoryStateStore();
  const createRun = store.createRun.bind(store);
  let crashes = 1;
  store.createRun = async (run) => {
    if (crashes-- > 0) throw new Error('killed before the run record');
    await createRun(run);
  };
  return store;
}

function setup(options: { store?: StateStore } = {}) {
  let now = new Date('2026-11-25T10:00:00.000Z');
  const store = options.store ?? createMemoryStateStore();
  const claims = createMemoryRunStartClaims();
  const sfn = fakeOrchestrator();
  const runs = createRunsService({
    store,
    catalog: shippedCatalog,
    orchestrator: sfn.orchestrator,
    claims,
    clock: { now: () => now },
  });
  return {
    runs,
    store,
    claims,
    sfn,
    advance(ms: number) {
      now = new Date(now.getTime() + ms);
    },
  };
}

describe('starting a run with an idempotency key', () => {
  it('the same key and request twice: one run, one execution, the same run id', async () => {
    const { runs, store, sfn } = setup();
    const first = await runs.start(request, { idempotencyKey: 'key-1' });
    const again = await runs.start(
      { workflow: 'onboarding', input: { ...input } },
      { idempotencyKey: 'key-1' },
    );
    expect(first.replayed).toBe(false);
    expect(again).toMatchObject({ replayed: true, run: { runId: first.run.runId } });
    expect((await store.listRuns()).map((r) => r.runId)).toEqual([first.run.runId]);
    expect([...sfn.executions.keys()]).toEqual([first.run.runId]);
  });

  it('the same request with keys in another order is the same request', async () => {
    const { runs } = setup();
    const first = await runs.start(request, { idempotencyKey: 'key-order' });
    const reordered = Object.fromEntries(Object.entries(input).reverse());
    const again = await runs.start(
      { input: reordered, workflow: 'onboarding' },
      { idempotencyKey: 'key-order' },
    );
    expect(again.run.runId).toBe(first.run.runId);
  });

  it('the same key with another request is refused, and nothing is written or started', async () => {
    const { runs, store, claims, sfn } = setup();
    const first = await runs.start(request, { idempotencyKey: 'key-2' });
    const claimed = structuredClone(claims.held.get('key-2'));
    await expect(
      runs.start(
        { workflow: 'onboarding', input: { ...input, setupFee: 2000 } },
        { idempotencyKey: 'key-2' },
      ),
    ).rejects.toThrow(
      new IdempotencyKeyReusedError(
        `this Idempotency-Key already started run ${first.run.runId} with a different request; send a new key for a new run`,
      ),
    );
    await expect(
      runs.start({ ...request, mode: 'shadow' }, { idempotencyKey: 'key-2' }),
    ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
    expect(await store.listRuns()).toHaveLength(1);
    expect(claims.held.get('key-2')).toEqual(claimed);
    expect(sfn.attempts).toEqual([first.run.runId]);
  });

  it('an execution start that fails after the run is written: the retry starts that run, once', async () => {
    const { runs, store, sfn } = setup();
    sfn.failNext(1);
    await expect(runs.start(request, { idempotencyKey: 'key-3' })).rejects.toThrow(/not reachable/);
    const [stranded] = await store.listRuns();
    expect(stranded?.status).toBe('QUEUED');
    expect(sfn.executions.size).toBe(0);

    const retried = await runs.start(request, { idempotencyKey: 'key-3' });
    expect(retried.run.runId).toBe(stranded?.runId);
    expect([...sfn.executions.keys()]).toEqual([stranded?.runId]);
    expect(await store.listRuns()).toHaveLength(1);
  });

  it('a crash after the claim and before the run record: the retry writes that very run and starts it', async () => {
    const store = diesBeforeTheFirstRunRecord();
    const { runs, claims, sfn } = setup({ store });
    await expect(runs.start(request, { idempotencyKey: 'key-4' })).rejects.toThrow(/killed/);
    const claimedRun = claims.held.get('key-4')?.run;
    expect(await store.listRuns()).toEqual([]);

    const retried = await runs.start(request, { idempotencyKey: 'key-4' });
    expect(retried.run).toEqual(claimedRun);
    expect(await store.getRun(claimedRun?.runId ?? '')).toEqual(claimedRun);
    expect([...sfn.executions.keys()]).toEqual([claimedRun?.runId]);
  });

  it('an execution that ran and ended while the run record was missing: the retry fails the run with an account', async () => {
    // A crash after the claim, before the run record; meanwhile the execution was started (a
    // recovery pass that trusted a torn index) and failed at "Record run start".
    const store = diesBeforeTheFirstRunRecord();
    const { runs, claims, sfn } = setup({ store });
    await expect(runs.start(request, { idempotencyKey: 'key-ended' })).rejects.toThrow(/killed/);
    const runId = claims.held.get('key-ended')?.run.runId ?? '';
    sfn.executions.set(runId, {
      status: 'FAILED',
      error: 'NotFoundError',
      cause: JSON.stringify({ errorMessage: `run ${runId} does not exist` }),
    });

    const retried = await runs.start(request, { idempotencyKey: 'key-ended' });

    expect(retried.run).toMatchObject({
      runId,
      status: 'FAILED',
      failure: { error: 'ExecutionEndedBeforeRun' },
    });
    expect(retried.run.failure?.cause).toBe(
      `its execution had ended FAILED (NotFoundError: run ${runId} does not exist) before the run was recorded`,
    );
    expect(retried.run.failure?.account).toMatch(/cannot run: start it again with a new request/);
    expect(await store.getRun(runId)).toMatchObject({ status: 'FAILED' });
    expect((await store.listJournal(runId)).map((j) => j.kind)).toEqual(['failure']);
    // Nothing left QUEUED for a sweep to find, and a second retry changes nothing.
    expect(await store.listRuns({ status: 'QUEUED' })).toEqual([]);
    expect((await runs.start(request, { idempotencyKey: 'key-ended' })).run.status).toBe('FAILED');
  });

  it('a replay of a run whose execution exists counts the refused second start as started', async () => {
    const { runs, sfn } = setup();
    const first = await runs.start(request, { idempotencyKey: 'key-5' });
    // Still QUEUED (the execution has not recorded that it runs), so the replay starts it again.
    const again = await runs.start(request, { idempotencyKey: 'key-5' });
    expect(again.run.runId).toBe(first.run.runId);
    expect(sfn.attempts).toEqual([first.run.runId, first.run.runId]);
    expect(sfn.executions.size).toBe(1);
    expect(again.run.status).toBe('QUEUED');
  });

  it('a replay of a run that has moved on starts nothing and reports where it is', async () => {
    const { runs, store, sfn } = setup();
    const first = await runs.start(request, { idempotencyKey: 'key-6' });
    await store.updateRun(first.run.runId, ['QUEUED'], { status: 'SUCCEEDED' });
    const again = await runs.start(request, { idempotencyKey: 'key-6' });
    expect(again).toMatchObject({ replayed: true, run: { runId: first.run.runId, status: 'SUCCEEDED' } });
    expect(sfn.attempts).toEqual([first.run.runId]);
  });

  it('two requests with the same key at once: one run, both answered with it', async () => {
    const { runs, store, sfn } = setup();
    const [a, b] = await Promise.all([
      runs.start(request, { idempotencyKey: 'key-7' }),
      runs.start(request, { idempotencyKey: 'key-7' }),
    ]);
    expect(a.run.runId).toBe(b.run.runId);
    expect([a.replayed, b.replayed].sort()).toEqual([false, true]);
    expect(await store.listRuns()).toHaveLength(1);
    expect(sfn.executions.size).toBe(1);
  });

  it('a key expires after 24 hours: then it starts a new run', async () => {
    const { runs, advance } = setup();
    const first = await runs.start(request, { idempotencyKey: 'key-8' });
    advance(23 * 3_600_000);
    expect((await runs.start(request, { idempotencyKey: 'key-8' })).run.runId).toBe(first.run.runId);
    advance(3_600_000 + 1000);
    const later = await runs.start(request, { idempotencyKey: 'key-8' });
    expect(later).toMatchObject({ replayed: false });
    expect(later.run.runId).not.toBe(first.run.runId);
  });

  it('bad input with a key: 400, and the key stays free', async () => {
    const { runs, store, claims } = setup();
    await expect(
      runs.start({ workflow: 'onboarding', input: { ...input, email: 'nope' } }, { idempotencyKey: 'key-9' }),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(claims.held.size).toBe(0);
    expect(await store.listRuns()).toEqual([]);
  });

  it('without a key, every start is a new run, as before', async () => {
    const { runs, store, claims } = setup();
    const a = await runs.start(request);
    const b = await runs.start(request);
    expect(a.run.runId).not.toBe(b.run.runId);
    expect(await store.listRuns()).toHaveLength(2);
    expect(claims.held.size).toBe(0);
  });
});

describe('starting a run checks its input against the playbook first', () => {
  it('writes nothing and starts nothing for bad input, naming every bad field', async () => {
    const { runs, store, sfn } = setup();
    const error = await runs
      .start({ workflow: 'onboarding', input: { ...input, email: 'not-an-email', setupFee: 'abc' } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([
      { path: 'input.email', message: 'must be an email address' },
      { path: 'input.setupFee', message: 'must be a number' },
    ]);
    expect(await store.listRuns()).toEqual([]);
    expect(sfn.attempts).toEqual([]);
  });

  it('records the input as the schema reads it: "1500" for a number field is 1500', async () => {
    const { runs, store } = setup();
    const { run } = await runs.start({ workflow: 'onboarding', input: { ...input, setupFee: '1500' } });
    expect((await store.getRun(run.runId))?.input.setupFee).toBe(1500);
  });
});
