import { describe, expect, it } from 'vitest';
import { createCatalog } from '../../../functions/core/catalog.ts';
import { NotFoundError } from '../../../functions/core/errors.ts';
import { API_URL_PLACEHOLDER } from '../../../functions/core/input-placeholders.ts';
import { scheduledRunId } from '../../../functions/core/triggers/run-ids.ts';
import { triggerHarness } from '../../support/trigger-harness.ts';

const monday = new Date('2026-12-07T09:00:00.000Z');

describe('a schedule fire starts its run once', () => {
  it('records the fire, derives the run id and starts the run with the expanded, validated input', async () => {
    const t = triggerHarness();
    const { fire, replayed } = await t.fires.fire('invoice-follow-up', monday, 'schedule');
    const version = t.catalog.get('invoice-follow-up')?.version ?? 0;
    const runId = scheduledRunId('invoice-follow-up', version, monday);
    expect(fire).toMatchObject({ runId, status: 'STARTED', scheduledAt: '2026-12-07T09:00:00.000Z' });
    expect(replayed).toBe(false);
    const run = await t.store.getRun(runId);
    expect(run?.input.reminderWebhookUrl).toBe('http://127.0.0.1:18080/local/webhooks/mailer');
    expect(t.sfn.starts).toEqual([runId]);
  });

  it('the same scheduled time delivered again starts nothing new', async () => {
    const t = triggerHarness();
    const first = await t.fires.fire('invoice-follow-up', monday, 'schedule');
    // A redelivery may carry the time with a fraction; the fire is the whole second.
    const again = await t.fires.fire('invoice-follow-up', new Date(monday.getTime() + 400), 'schedule');
    expect(again).toMatchObject({ replayed: true, fire: { runId: first.fire.runId } });
    expect(await t.store.listRuns()).toHaveLength(1);
    expect(t.sfn.executions.size).toBe(1);
  });

  it('a delivery after a crash between the fire record and the run finishes that run', async () => {
    const t = triggerHarness();
    const start = t.runs.start.bind(t.runs);
    let crashes = 1;
    t.runs.start = async (...args) => {
      if (crashes-- > 0) throw new Error('killed after the fire was recorded');
      return start(...args);
    };
    await expect(t.fires.fire('invoice-follow-up', monday, 'schedule')).rejects.toThrow('killed');
    expect((await t.schedules.getFire('invoice-follow-up', monday.toISOString()))?.status).toBe('RECORDED');
    expect(await t.store.listRuns()).toHaveLength(0);
    const retried = await t.fires.fire('invoice-follow-up', monday, 'schedule');
    expect(retried.fire.status).toBe('STARTED');
    expect(await t.store.listRuns()).toHaveLength(1);
  });

  it('a paused schedule records the fire as skipped and starts nothing; resumed, it fires again', async () => {
    const t = triggerHarness();
    expect(await t.fires.pause('invoice-follow-up')).toMatchObject({ paused: true });
    const skipped = await t.fires.fire('invoice-follow-up', monday, 'schedule');
    expect(skipped.fire).toMatchObject({ status: 'SKIPPED', reason: 'the schedule is paused' });
    expect(await t.store.listRuns()).toHaveLength(0);
    // The operator's own fire is not the schedule's: it starts even while paused.
    t.clock.advanceTo(Date.parse('2026-12-07T10:15:30.250Z'));
    const manual = await t.fires.fireNow('invoice-follow-up');
    expect(manual.fire).toMatchObject({
      source: 'manual',
      status: 'STARTED',
      scheduledAt: '2026-12-07T10:15:30.000Z',
    });
    await t.fires.resume('invoice-follow-up');
    const next = await t.fires.fire('invoice-follow-up', new Date('2026-12-14T09:00:00Z'), 'schedule');
    expect(next.fire.status).toBe('STARTED');
    expect(await t.store.listRuns()).toHaveLength(2);
  });

  it('an input the playbook refuses is recorded as a failed fire, not retried for ever', async () => {
    const t = triggerHarness({
      playbooks: [
        {
          name: 'strict',
          version: 1,
          description: 'd',
          trigger: { type: 'schedule', expression: 'rate(1 day)', input: { when: API_URL_PLACEHOLDER } },
          inputSchema: {
            type: 'object',
            properties: { when: { type: 'string', pattern: '^https://' } },
            required: ['when'],
          },
          allowedActions: ['state.upsert'],
          goal: 'g',
        },
      ],
    });
    // https at load (the placeholder), http here: the expanded input fails the pattern.
    const { fire } = await t.fires.fire('strict', monday, 'schedule');
    expect(fire.status).toBe('FAILED');
    expect(fire.reason).toContain('input.when');
    expect(await t.store.listRuns()).toHaveLength(0);
  });

  it('refuses a playbook that is not scheduled, naming the scheduled ones', async () => {
    const t = triggerHarness();
    await expect(t.fires.fire('payment-received', monday, 'schedule')).rejects.toThrow(NotFoundError);
    await expect(t.fires.pause('nope')).rejects.toThrow(
      'scheduled playbooks: invoice-follow-up, weekly-digest',
    );
  });

  it('lists each schedule with its time zone, next fires, last fire and pause state', async () => {
    const t = triggerHarness();
    await t.fires.fire('weekly-digest', new Date('2026-11-30T08:00:00Z'), 'schedule');
    await t.fires.pause('hourly-sync');
    const views = await t.fires.list(2);
    const digest = views.find((v) => v.playbook === 'weekly-digest');
    expect(digest).toMatchObject({
      expression: 'cron(0 9 ? * MON *)',
      timezone: 'Europe/Berlin',
      paused: false,
      nextFires: ['2026-12-07T08:00:00.000Z', '2026-12-14T08:00:00.000Z'],
      lastFire: { scheduledAt: '2026-11-30T08:00:00.000Z', status: 'STARTED' },
    });
    expect(views.find((v) => v.playbook === 'hourly-sync')?.paused).toBe(true);
    expect(views.map((v) => v.playbook)).not.toContain('payment-received');
  });

  it('a schedule whose input its playbook refuses keeps the playbook from loading, naming the field', () => {
    const playbook = {
      name: 'bad-input',
      version: 1,
      description: 'd',
      trigger: { type: 'schedule', expression: 'rate(1 day)', input: { count: 'many' } },
      inputSchema: { type: 'object', properties: { count: { type: 'integer' } }, required: ['count'] },
      allowedActions: ['state.upsert'],
      goal: 'g',
    };
    expect(() => createCatalog([playbook])).toThrow('trigger.input.count');
    expect(() =>
      createCatalog([{ ...playbook, trigger: { ...playbook.trigger, input: { count: 3 } } }]),
    ).not.toThrow();
  });
});
