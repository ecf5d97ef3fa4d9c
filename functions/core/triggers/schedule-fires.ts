import type * as z from 'zod';
import { NotFoundError, ValidationError } from '../errors.ts';
import { expandApiUrl } from '../input-placeholders.ts';
import type { FireSourceSchema, ScheduleFire, ScheduleState, ScheduleStore } from '../ports/triggers.ts';
import type { Clock, WorkflowCatalog } from '../ports.ts';
import type { RunsService } from '../runs-service.ts';
import type { ScheduleTrigger, Workflow } from '../schemas.ts';
import { scheduledRunId, wholeSecond } from './run-ids.ts';
import { nextFires, parseScheduleExpression } from './schedule-expression.ts';

export interface ScheduleFiresDeps {
  catalog: WorkflowCatalog;
  runs: Pick<RunsService, 'start'>;
  schedules: ScheduleStore;
  clock: Clock;
  /**
   * What `${AIOS_API_URL}` in a schedule's input stands for: the address of this aios's API (a
   * function where it is known only once the server listens).
   */
  apiUrl: string | (() => string);
}

export type ScheduledWorkflow = Workflow & { trigger: ScheduleTrigger };

export interface FireOutcome {
  fire: ScheduleFire;
  /** The fire had been recorded before: this delivery started nothing new. */
  replayed: boolean;
}

/** One scheduled playbook as `aios schedules` shows it. */
export interface ScheduleView {
  playbook: string;
  version: number;
  expression: string;
  timezone: string;
  catchUp: ScheduleTrigger['catchUp'];
  paused: boolean;
  nextFires: string[];
  lastFire?: ScheduleFire;
}

export function isScheduled(workflow: Workflow): workflow is ScheduledWorkflow {
  return workflow.trigger.type === 'schedule';
}

/** The idempotency key of a fire's run-start claim, so a retry after a crash finishes the same run. */
const fireKey = (fire: ScheduleFire) => `schedule:${fire.playbook}:${fire.version}:${fire.scheduledAt}`;

/**
 * Starting the runs schedules ask for, on AWS (EventBridge Scheduler's at-least-once deliveries)
 * and locally (the durable scheduler) alike. A fire is recorded before its run starts; its run id
 * is derived from (playbook, version, scheduled time), so however often it is delivered, one run.
 */
export function createScheduleFires(deps: ScheduleFiresDeps) {
  async function scheduled(playbook: string): Promise<ScheduledWorkflow> {
    const workflow = await deps.catalog.workflow(playbook);
    if (!workflow || !isScheduled(workflow)) {
      const known = (await deps.catalog.workflows()).filter(isScheduled).map((w) => w.name);
      throw new NotFoundError(
        `${playbook} is not a scheduled playbook; scheduled playbooks: ${known.join(', ') || 'none'}`,
      );
    }
    return workflow;
  }

  async function settle(fire: ScheduleFire, patch: Partial<ScheduleFire>): Promise<ScheduleFire> {
    const settled = { ...fire, ...patch, settledAt: deps.clock.now().toISOString() };
    await deps.schedules.settleFire(settled);
    return settled;
  }

  /** Gives a recorded fire its run: safe to repeat, the run id and the claim key are the fire's. */
  async function startRunOf(workflow: ScheduledWorkflow, fire: ScheduleFire): Promise<ScheduleFire> {
    const input = expandApiUrl(
      workflow.trigger.input,
      typeof deps.apiUrl === 'string' ? deps.apiUrl : deps.apiUrl(),
    ) as Record<string, unknown>;
    try {
      await deps.runs.start(
        { workflow: workflow.name, input },
        { idempotencyKey: fireKey(fire), runId: fire.runId },
      );
    } catch (error) {
      // Retrying a fire its own playbook refuses would only fail again: it is recorded as failed.
      if (error instanceof ValidationError) return settle(fire, { status: 'FAILED', reason: error.message });
      throw error;
    }
    return fire.status === 'STARTED' ? fire : settle(fire, { status: 'STARTED' });
  }

  async function fire(
    playbook: string,
    scheduledAt: Date,
    source: z.infer<typeof FireSourceSchema>,
  ): Promise<FireOutcome> {
    const workflow = await scheduled(playbook);
    const at = wholeSecond(scheduledAt);
    const now = deps.clock.now().toISOString();
    const state = await deps.schedules.state(workflow.name);
    const candidate: ScheduleFire = {
      playbook: workflow.name,
      version: workflow.version,
      scheduledAt: at.toISOString(),
      runId: scheduledRunId(workflow.name, workflow.version, at),
      source,
      status: 'RECORDED',
      recordedAt: now,
    };
    // A paused schedule's fires start nothing; the operator's own fire still does.
    if (source === 'schedule' && state.paused) {
      const { fire: skipped, created } = await deps.schedules.recordFire({
        ...candidate,
        status: 'SKIPPED',
        reason: 'the schedule is paused',
        settledAt: now,
      });
      if (created) await deps.schedules.settleFire(skipped);
      if (skipped.status === 'SKIPPED' || skipped.status === 'FAILED')
        return { fire: skipped, replayed: !created };
      return { fire: await startRunOf(workflow, skipped), replayed: true };
    }
    const { fire: recorded, created } = await deps.schedules.recordFire(candidate);
    if (recorded.status === 'SKIPPED' || recorded.status === 'FAILED')
      return { fire: recorded, replayed: true };
    return { fire: await startRunOf(workflow, recorded), replayed: !created };
  }

  return {
    fire,

    /** `aios schedules fire`: the run the schedule would start now, through the same path. */
    fireNow(playbook: string): Promise<FireOutcome> {
      return fire(playbook, deps.clock.now(), 'manual');
    },

    async pause(playbook: string): Promise<ScheduleState> {
      return deps.schedules.setPaused((await scheduled(playbook)).name, true, deps.clock.now());
    },

    async resume(playbook: string): Promise<ScheduleState> {
      return deps.schedules.setPaused((await scheduled(playbook)).name, false, deps.clock.now());
    },

    /** Every scheduled playbook: expression, time zone, next fires, last fire, paused or not. */
    async list(nextCount = 3): Promise<ScheduleView[]> {
      const now = deps.clock.now();
      const workflows = (await deps.catalog.workflows()).filter(isScheduled);
      return Promise.all(
        workflows.map(async (workflow) => {
          const state = await deps.schedules.state(workflow.name);
          const expression = parseScheduleExpression(workflow.trigger.expression, workflow.trigger.timezone);
          return {
            playbook: workflow.name,
            version: workflow.version,
            expression: workflow.trigger.expression,
            timezone: workflow.trigger.timezone,
            catchUp: workflow.trigger.catchUp,
            paused: state.paused,
            nextFires: nextFires(expression, now, nextCount).map((d) => d.toISOString()),
            ...(state.lastFire ? { lastFire: state.lastFire } : {}),
          };
        }),
      );
    },
  };
}

export type ScheduleFires = ReturnType<typeof createScheduleFires>;
