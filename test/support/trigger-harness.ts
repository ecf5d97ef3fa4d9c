import { createCatalog } from '../../functions/core/catalog.ts';
import type { ExecutionState, Orchestrator } from '../../functions/core/ports.ts';
import { createRunsService } from '../../functions/core/runs-service.ts';
import { createScheduleFires } from '../../functions/core/triggers/schedule-fires.ts';
import { createWebhookTrigger } from '../../functions/core/triggers/webhook-trigger.ts';
import invoiceFollowUp from '../../playbooks/invoice-follow-up.json' with { type: 'json' };
import paymentReceived from '../../playbooks/payment-received.json' with { type: 'json' };
import { ManualClock } from '../unit/asl/manual-clock.ts';
import { createMemoryRunStartClaims } from './memory-run-start-claims.ts';
import { createMemoryStateStore } from './memory-state-store.ts';
import {
  createMemorySchedulerCursors,
  createMemoryScheduleStore,
  createMemoryWebhookEvents,
} from './memory-triggers.ts';

export const HOOK_SECRET = 'whsec-test-0123456789abcdef';

const step = {
  id: 'note',
  title: 'Write a note',
  action: 'state.upsert',
  params: { entityType: 'note', entityId: '{{run.id}}', data: { topic: '{{input.topic}}' } },
};
const inputSchema = {
  type: 'object',
  properties: { topic: { type: 'string', default: 'weekly' } },
  additionalProperties: false,
};
const scheduled = (name: string, trigger: Record<string, unknown>) => ({
  name,
  version: 1,
  description: `test schedule ${name}`,
  trigger: { type: 'schedule', ...trigger },
  inputSchema,
  allowedActions: ['state.upsert'],
  steps: [step],
});

/** Playbooks with one schedule each, besides the shipped webhook and weekly ones. */
export const TEST_PLAYBOOKS = [
  invoiceFollowUp,
  paymentReceived,
  scheduled('weekly-digest', { expression: 'cron(0 9 ? * MON *)', timezone: 'Europe/Berlin' }),
  scheduled('hourly-sync', { expression: 'rate(1 hour)', catchUp: 'all', maxCatchUp: 3 }),
  scheduled('nightly-skip', { expression: 'cron(0 2 * * ? *)', catchUp: 'skip' }),
];

/** Step Functions as far as starting goes: one execution per name, a second start refused. */
export function countingOrchestrator() {
  const executions = new Map<string, ExecutionState>();
  const starts: string[] = [];
  const orchestrator: Orchestrator = {
    async stopRun() {},
    async startRun(runId) {
      starts.push(runId);
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
  return { orchestrator, executions, starts };
}

/** The trigger services over in-memory stores, driven by a manual clock. */
export function triggerHarness(options: { start?: number; playbooks?: readonly unknown[] } = {}) {
  const clock = new ManualClock(options.start ?? Date.parse('2026-12-07T07:00:00.000Z'));
  const domainClock = { now: () => new Date(clock.now()) };
  const catalog = createCatalog(options.playbooks ?? TEST_PLAYBOOKS);
  const store = createMemoryStateStore();
  const claims = createMemoryRunStartClaims();
  const sfn = countingOrchestrator();
  const runs = createRunsService({
    store,
    catalog,
    orchestrator: sfn.orchestrator,
    claims,
    clock: domainClock,
  });
  const schedules = createMemoryScheduleStore();
  const cursors = createMemorySchedulerCursors();
  const events = createMemoryWebhookEvents();
  const fires = createScheduleFires({
    catalog,
    runs,
    schedules,
    clock: domainClock,
    apiUrl: 'http://127.0.0.1:18080',
  });
  const hooks = createWebhookTrigger({
    catalog,
    runs,
    events,
    secrets: { secretOf: async () => HOOK_SECRET },
    clock: domainClock,
  });
  return { clock, domainClock, catalog, store, claims, sfn, runs, schedules, cursors, events, fires, hooks };
}
