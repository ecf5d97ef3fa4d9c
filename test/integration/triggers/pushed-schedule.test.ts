import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalRuntime, startLocalRuntime } from '../../../lib/local/runtime.ts';
import { api, scenarioWorkflow } from '../../support/local-runtime.ts';
import { ManualClock } from '../../unit/asl/manual-clock.ts';

// A Monday, 07:00 UTC.
const START = Date.parse('2026-12-07T07:00:00.000Z');

let dataDir: string;
let runtime: LocalRuntime;
const clock = new ManualClock(START);

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'aios-pushed-schedule-'));
  // No fixed catalogue: the scheduler reads the registry, as `aios dev` does.
  runtime = await startLocalRuntime({
    port: 0,
    dataDir,
    timeScale: 0.01,
    pollIntervalMs: 20,
    schedulerClock: clock,
  });
});
afterAll(async () => {
  await runtime?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const tally = (version: number, trigger: Record<string, unknown>) =>
  scenarioWorkflow({
    name: 'morning-tally',
    version,
    description: 'Record the morning tally',
    trigger,
    inputSchema: { type: 'object', properties: {} },
    allowedActions: ['state.upsert'],
    steps: [
      {
        id: 'record-tally',
        title: 'Record the tally',
        action: 'state.upsert',
        params: { entityType: 'tally', entityId: '{{run.id}}', data: { counted: true } },
      },
    ],
  });
const runsOfTally = async () =>
  (await runtime.store.listRuns()).filter((r) => r.workflow === 'morning-tally');
const passAt = async (iso: string) => {
  clock.advanceTo(Date.parse(iso));
  await runtime.schedules.pass();
  await runtime.schedules.pass();
};

describe('a pushed playbook schedule, without a restart', () => {
  it('fires once pushed, fires on its new time once changed, and stops once removed', async () => {
    const pushed = await api(
      runtime,
      'POST',
      '/playbooks',
      tally(1, { type: 'schedule', expression: 'cron(30 7 * * ? *)' }),
    );
    expect(pushed.status).toBe(201);
    await passAt('2026-12-07T07:30:01.000Z');
    expect((await runsOfTally()).map((r) => r.workflowVersion)).toEqual([1]);

    // Moved to 08:00 the same morning: nothing before it, one at 08:00.
    expect(
      (
        await api(
          runtime,
          'POST',
          '/playbooks',
          tally(2, { type: 'schedule', expression: 'cron(0 8 * * ? *)' }),
        )
      ).status,
    ).toBe(201);
    await passAt('2026-12-07T07:59:00.000Z');
    expect(await runsOfTally()).toHaveLength(1);
    await passAt('2026-12-07T08:00:01.000Z');
    expect((await runsOfTally()).map((r) => r.workflowVersion).sort()).toEqual([1, 2]);

    // No schedule any more: the next morning starts nothing.
    expect((await api(runtime, 'POST', '/playbooks', tally(3, { type: 'manual' }))).status).toBe(201);
    await passAt('2026-12-08T08:00:01.000Z');
    expect(await runsOfTally()).toHaveLength(2);
  });
});
