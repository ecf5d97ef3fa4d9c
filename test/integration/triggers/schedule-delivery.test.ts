import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDBRunStartClaims } from '../../../functions/adapters/aws/dynamodb-run-start-claims.ts';
import { createDynamoDBStateStore } from '../../../functions/adapters/aws/dynamodb-state-store.ts';
import {
  createDynamoDBSchedulerCursors,
  createDynamoDBScheduleStore,
  createDynamoDBWebhookEvents,
} from '../../../functions/adapters/aws/dynamodb-triggers.ts';
import { createStepFunctionsOrchestrator } from '../../../functions/adapters/aws/step-functions.ts';
import { ConflictError } from '../../../functions/core/errors.ts';
import { createRunsService } from '../../../functions/core/runs-service.ts';
import { scheduledRunId } from '../../../functions/core/triggers/run-ids.ts';
import { createScheduleFires } from '../../../functions/core/triggers/schedule-fires.ts';
import { createScheduleStartHandler } from '../../../functions/schedules/schedule-start.ts';
import { shippedCatalog } from '../../../functions/shipped-playbooks.ts';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../../lib/local/embedded-dynamodb.ts';
import { createLocalContext } from '../../../lib/local/http/lambda-context.ts';
import { TABLE_NAMES } from '../../../lib/local/table-definitions.ts';
import { fakeSfn } from '../../support/fake-sfn.ts';

let db: EmbeddedDynamoDB;
beforeAll(async () => {
  db = await startEmbeddedDynamoDB({ tables: [TABLE_NAMES.state] });
});
afterAll(() => db.close());

// The run id follows the playbook's current version (invoice-follow-up is v2).
const FOLLOW_UP_VERSION = shippedCatalog.get('invoice-follow-up')?.version ?? 0;

const tables = () => ({ client: db.client, tableName: TABLE_NAMES.state });

/** Step Functions as the AWS adapter sees it: one execution per name, a second start refused. */
function stepFunctions() {
  const started = new Set<string>();
  const sfn = fakeSfn({
    fail: (sent) =>
      sent.command === 'StartExecutionCommand' && started.has(sent.input.name as string)
        ? Object.assign(new Error('Execution already exists'), { name: 'ExecutionAlreadyExists' })
        : undefined,
    answer: (sent) => {
      if (sent.command === 'StartExecutionCommand') started.add(sent.input.name as string);
      if (sent.command === 'DescribeExecutionCommand') return { status: 'RUNNING' };
      return undefined;
    },
  });
  return { ...sfn, started };
}

function scheduleHandler(now: Date, sfn = stepFunctions()) {
  const clock = { now: () => now };
  const store = createDynamoDBStateStore(tables());
  const runs = createRunsService({
    store,
    catalog: shippedCatalog,
    orchestrator: createStepFunctionsOrchestrator(
      sfn.client,
      'arn:aws:states:eu-west-1:123456789012:stateMachine:run',
    ),
    claims: createDynamoDBRunStartClaims(tables()),
    clock,
  });
  const fires = createScheduleFires({
    catalog: shippedCatalog,
    runs,
    schedules: createDynamoDBScheduleStore(tables()),
    clock,
    apiUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com/prod',
  });
  const handler = createScheduleStartHandler(fires);
  const invoke = (event: unknown) => handler(event, createLocalContext('aios-schedules', 30_000));
  return { sfn, store, invoke };
}

describe('a schedule delivered through the handler (the AWS path, on the embedded DynamoDB)', () => {
  it('the same scheduled time delivered twice creates exactly one run and one execution', async () => {
    const scheduledTime = '2026-12-07T09:00:00Z';
    const { sfn, store, invoke } = scheduleHandler(new Date('2026-12-07T09:00:02Z'));
    const event = { playbook: 'invoice-follow-up', scheduledTime };
    const first = await invoke(event);
    const second = await invoke(event);
    const runId = scheduledRunId('invoice-follow-up', FOLLOW_UP_VERSION, new Date(scheduledTime));
    expect(first).toEqual({ runId, status: 'STARTED', replayed: false });
    expect(second).toEqual({ runId, status: 'STARTED', replayed: true });
    const runs = (await store.listRuns({ limit: 200 })).filter((r) => r.workflow === 'invoice-follow-up');
    expect(runs.map((r) => r.runId)).toEqual([runId]);
    expect(runs[0]?.input.reminderWebhookUrl).toBe(
      'https://abc.execute-api.eu-west-1.amazonaws.com/prod/local/webhooks/mailer',
    );
    expect([...sfn.started]).toEqual([runId]);
  });

  it('deliveries racing each other (two handler instances at once) still create one run', async () => {
    const scheduledTime = '2026-12-14T09:00:00Z';
    const a = scheduleHandler(new Date('2026-12-14T09:00:01Z'));
    // One Step Functions service behind both instances, as on AWS.
    const b = scheduleHandler(new Date('2026-12-14T09:00:01Z'), a.sfn);
    const event = { playbook: 'invoice-follow-up', scheduledTime };
    const results = await Promise.all([a.invoke(event), b.invoke(event), a.invoke(event)]);
    const runId = scheduledRunId('invoice-follow-up', FOLLOW_UP_VERSION, new Date(scheduledTime));
    expect(results.map((r) => r.runId)).toEqual([runId, runId, runId]);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    const runs = (await a.store.listRuns({ limit: 200 })).filter((r) => r.runId === runId);
    expect(runs).toHaveLength(1);
    expect([...a.sfn.started]).toEqual([runId]);
  });

  it('refuses an event that is not a schedule delivery, naming the field, and starts nothing', async () => {
    const { invoke, sfn } = scheduleHandler(new Date('2026-12-07T09:00:02Z'));
    await expect(invoke({ playbook: 'invoice-follow-up', scheduledTime: 'monday' })).rejects.toThrow(
      'scheduledTime',
    );
    await expect(invoke({ scheduledTime: '2026-12-07T09:00:00Z' })).rejects.toThrow('playbook');
    expect(sfn.started.size).toBe(0);
  });
});

describe('trigger records in DynamoDB', () => {
  it('pause and resume are a state change; the last fire is the latest scheduled, whatever order they settle in', async () => {
    const schedules = createDynamoDBScheduleStore(tables());
    expect(await schedules.state('weekly')).toEqual({ playbook: 'weekly', paused: false });
    expect(await schedules.setPaused('weekly', true, new Date('2026-12-01T10:00:00Z'))).toEqual({
      playbook: 'weekly',
      paused: true,
      changedAt: '2026-12-01T10:00:00.000Z',
    });
    const fire = (scheduledAt: string) => ({
      playbook: 'weekly',
      version: 1,
      scheduledAt,
      runId: `weekly-${scheduledAt.slice(0, 10)}`,
      source: 'schedule' as const,
      status: 'STARTED' as const,
      recordedAt: scheduledAt,
    });
    await schedules.settleFire(fire('2026-12-14T09:00:00.000Z'));
    await schedules.settleFire(fire('2026-12-07T09:00:00.000Z'));
    const state = await schedules.state('weekly');
    expect(state).toMatchObject({ paused: true, lastFire: { scheduledAt: '2026-12-14T09:00:00.000Z' } });
    await schedules.setPaused('weekly', false, new Date('2026-12-15T10:00:00Z'));
    expect((await schedules.state('weekly')).lastFire?.scheduledAt).toBe('2026-12-14T09:00:00.000Z');
  });

  it('a fire is recorded once: concurrent records all get the first', async () => {
    const schedules = createDynamoDBScheduleStore(tables());
    const fire = (runId: string) => ({
      playbook: 'race',
      version: 1,
      scheduledAt: '2026-12-07T09:00:00.000Z',
      runId,
      source: 'schedule' as const,
      status: 'RECORDED' as const,
      recordedAt: '2026-12-07T09:00:00.000Z',
    });
    const results = await Promise.all(['a', 'b', 'c', 'd'].map((id) => schedules.recordFire(fire(id))));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.fire.runId)).size).toBe(1);
  });

  it('the scheduler cursor moves only from where the writer read it', async () => {
    const cursors = createDynamoDBSchedulerCursors(tables());
    const first = { through: '2026-12-07T07:00:00.000Z', pending: [] };
    await cursors.put('c', first, undefined);
    await expect(cursors.put('c', first, undefined)).rejects.toThrow(ConflictError);
    const next = { through: '2026-12-07T08:00:00.000Z', pending: ['2026-12-07T08:00:00.000Z'] };
    await cursors.put('c', next, first.through);
    await expect(cursors.put('c', first, first.through)).rejects.toThrow(ConflictError);
    expect(await cursors.get('c')).toEqual(next);
  });

  it('a webhook event id is taken once', async () => {
    const events = createDynamoDBWebhookEvents(tables());
    const event = (runId: string) => ({
      playbook: 'hook',
      eventId: 'evt_1',
      runId,
      receivedAt: '2026-12-01T10:00:00.000Z',
    });
    const results = await Promise.all(['r1', 'r2', 'r3'].map((id) => events.claim(event(id))));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.event.runId)).size).toBe(1);
  });
});
